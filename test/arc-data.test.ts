// ARC data loading against spec arc.md §1: the counts of every shipped file, the filtered sets'
// ids in file order, task splitting, and a clear error (file, task, field) for each kind of bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARC_FILES, readArcSet, readArcTasks, splitByTestInput, topLevelKeys, type ArcSetName } from '../src/tasks/arc/data.js';

const arcDir = fileURLToPath(new URL('../../../shared/data/arc/', import.meta.url));

test('every shipped file loads with the counts of spec §1', () => {
  const expected: Record<ArcSetName, [ids: number, tests: number, minPairs: number, maxPairs: number, pairs: number]> = {
    training: [400, 416, 2, 10, 1302],
    evaluation: [400, 419, 2, 7, 1363],
    'training-filtered': [12, 13, 2, 6, 42],
    'evaluation-filtered': [10, 11, 2, 5, 35],
  };
  for (const set of Object.keys(ARC_FILES) as ArcSetName[]) {
    const tasks = readArcSet(arcDir, set);
    const pairs = tasks.map((t) => t.train.length);
    assert.deepEqual(
      [tasks.length, tasks.reduce((n, t) => n + t.test.length, 0), Math.min(...pairs), Math.max(...pairs), pairs.reduce((a, b) => a + b, 0)],
      expected[set], set,
    );
    assert.equal(new Set(tasks.map((t) => t.id)).size, tasks.length, `${set}: ids unique`);
  }
});

test('filtered sets list the spec\'s ids in file order (integer-like ids such as 59341089 included) and match the full sets', () => {
  const training = readArcSet(arcDir, 'training-filtered');
  assert.deepEqual(training.map((t) => `${t.id}:${t.train.length}`), [
    '44f52bb0:6', '4be741c5:3', '5582e5ca:3', '5614dbcf:2', '5bd6f4ac:4', '6150a2bd:2',
    '67e8384a:4', '6d0aefbc:4', '6e02f1e3:5', '8be77c9e:3', '8d5021e8:3', '8e1813be:3',
  ]);
  const evaluation = readArcSet(arcDir, 'evaluation-filtered');
  assert.deepEqual(evaluation.map((t) => `${t.id}:${t.train.length}`), [
    '358ba94e:4', '59341089:4', '66e6c45b:2', '68b67ca3:3', '903d1b4a:4',
    'af24b4cc:3', 'b1fc8b8e:5', 'bc4146bd:4', 'c7d4e6ad:2', 'ce8d95cc:4',
  ]);
  const full = new Map([...readArcSet(arcDir, 'training'), ...readArcSet(arcDir, 'evaluation')].map((t) => [t.id, t]));
  for (const t of [...training, ...evaluation]) assert.deepEqual(t, full.get(t.id), t.id);
  assert.equal(training[0]!.test.length, 2);
  assert.equal(evaluation[6]!.test.length, 2);
});

test('topLevelKeys keeps the text order that JSON.parse loses for integer-like keys', () => {
  const text = '{"b1": {"x": [1, {"y": 2}]}, "59341089" : [], "a\\"q": "v:", "00576224": {}}';
  assert.deepEqual(Object.keys(JSON.parse(text)), ['59341089', 'b1', 'a"q', '00576224']);
  assert.deepEqual(topLevelKeys(text), ['b1', '59341089', 'a"q', '00576224']);
});

test('a challenge with t test inputs splits into t tasks <id>-0 … (spec §1)', () => {
  const [task] = readArcSet(arcDir, 'training-filtered');
  const split = splitByTestInput(task!);
  assert.deepEqual(split.map((t) => t.id), ['44f52bb0-0', '44f52bb0-1']);
  assert.deepEqual(split.map((t) => t.test), [[task!.test[0]], [task!.test[1]]]);
  assert.ok(split.every((t) => t.train === task!.train));
});

test('test outputs come from the solutions file', () => {
  const [task] = readArcSet(arcDir, 'training-filtered').filter((t) => t.id === '6150a2bd');
  assert.deepEqual(task!.test[0], { input: [[6, 3, 5], [6, 8, 0], [4, 0, 0]], output: [[0, 0, 4], [0, 8, 6], [5, 3, 6]] });
});

test('bad inputs fail with the file, the task and the field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seal-arc-bad-'));
  const ok = [[1, 2], [3, 4]];
  const good = { train: [{ input: ok, output: ok }, { input: ok, output: ok }], test: [{ input: ok }] };
  const wide = [Array(31).fill(1)];
  const cases: [string, unknown, unknown, RegExp][] = [
    ['ragged', { t1: { ...good, train: [good.train[0], { input: ok, output: [[1, 2], [3, 4], [5]] }] } }, { t1: [ok] },
      /^c\.json: task t1: train\[1\]\.output row 2 has 1 cells, row 0 has 2$/],
    ['colour 10', { t1: { ...good, test: [{ input: [[1, 10]] }] } }, { t1: [ok] }, /^c\.json: task t1: test\[0\]\.input row 0 col 1 is 10, expected an integer colour 0-9$/],
    ['negative colour', { t1: { ...good, train: [{ input: [[-1]], output: ok }] } }, { t1: [ok] }, /task t1: train\[0\]\.input row 0 col 0 is -1/],
    ['fractional colour', { t1: { ...good, train: [{ input: ok, output: [[1.5, 2]] }] } }, { t1: [ok] }, /task t1: train\[0\]\.output row 0 col 0 is 1\.5/],
    ['string colour', { t1: { ...good, train: [{ input: [['3']], output: ok }] } }, { t1: [ok] }, /task t1: train\[0\]\.input row 0 col 0 is "3"/],
    ['no rows', { t1: { ...good, train: [{ input: [], output: ok }] } }, { t1: [ok] }, /task t1: train\[0\]\.input is empty/],
    ['empty row', { t1: { ...good, train: [{ input: [[]], output: ok }] } }, { t1: [ok] }, /task t1: train\[0\]\.input row 0 is empty/],
    ['not a grid', { t1: { ...good, train: [{ input: 'grid', output: ok }] } }, { t1: [ok] }, /task t1: train\[0\]\.input must be a list of rows/],
    ['missing output', { t1: { ...good, train: [{ input: ok }] } }, { t1: [ok] }, /task t1: train\[0\]\.output must be a list of rows/],
    ['31 wide', { t1: { ...good, train: [{ input: wide, output: ok }] } }, { t1: [ok] }, /task t1: train\[0\]\.input is 1 x 31, over the 30 x 30 limit/],
    ['31 high', { t1: { ...good, train: [{ input: ok, output: Array(31).fill([0]) }] } }, { t1: [ok] }, /task t1: train\[0\]\.output is 31 x 1, over the 30 x 30 limit/],
    ['no train', { t1: { ...good, train: [] } }, { t1: [ok] }, /task t1: train is empty/],
    ['test not a list', { t1: { ...good, test: {} } }, { t1: [ok] }, /task t1: test must be a list/],
    ['task not an object', { t1: [] }, { t1: [ok] }, /c\.json: task t1: expected an object/],
    ['solution missing', { t1: good, t2: good }, { t1: [ok] }, /^s\.json: task t2: missing/],
    ['second test input unsolved', { t1: { ...good, test: [{ input: ok }, { input: ok }] } }, { t1: [ok] }, /^s\.json: task t1: no solution for test\[1\]/],
    ['extra solution', { t1: good }, { t1: [ok, ok] }, /^s\.json: task t1: 2 solutions for 1 test input/],
    ['bad solution grid', { t1: good }, { t1: [[[1, 2], [3]]] }, /^s\.json: task t1: solution for test\[0\] row 1 has 1 cells, row 0 has 2$/],
    ['challenges a list', [good], { t1: [ok] }, /^c\.json: expected a JSON object/],
  ];
  for (const [name, challenges, solutions, error] of cases) {
    writeFileSync(join(dir, 'c.json'), JSON.stringify(challenges));
    writeFileSync(join(dir, 's.json'), JSON.stringify(solutions));
    assert.throws(() => readArcTasks(join(dir, 'c.json'), join(dir, 's.json')), messageMatches(error), name);
  }
  // The same files with the defects removed load, and extra solution ids are fine (a subset of the challenges).
  writeFileSync(join(dir, 'c.json'), JSON.stringify({ t1: good }));
  writeFileSync(join(dir, 's.json'), JSON.stringify({ t1: [ok], other: [ok] }));
  assert.deepEqual(readArcTasks(join(dir, 'c.json'), join(dir, 's.json')), [
    { id: 't1', train: good.train, test: [{ input: ok, output: ok }] },
  ]);
  writeFileSync(join(dir, 'broken.json'), '{"t1": {"train": [');
  assert.throws(() => readArcTasks(join(dir, 'broken.json'), join(dir, 's.json')), messageMatches(/^broken\.json: malformed JSON/));
  assert.throws(() => readArcTasks(join(dir, 'absent.json'), join(dir, 's.json')), messageMatches(/absent\.json: cannot read \(ENOENT\)$/));
});

/** assert.throws matches a RegExp against String(error), "Error: …"; this matches the message itself. */
function messageMatches(re: RegExp): (err: unknown) => true {
  return (err) => {
    assert.ok(err instanceof Error);
    assert.match(err.message, re);
    return true;
  };
}
