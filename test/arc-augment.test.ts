// Augmenters and test-time-training tasks against spec arc.md §4: each augmenter's definition,
// inverses over every grid and task of the ARC data, the 30 × 30 drop rule, the four tool groups,
// leave-out task construction, the TTT set sizes the spec tabulates, and seeding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import {
  AUGMENTER_GROUPS, AUGMENTER_GROUP_NAMES, FLIP_COLUMNS, FLIP_ROWS, PERMUTE_COLORS, PERMUTE_EXAMPLES, RANDOM_TRANSLATE_XY,
  ROTATE_180, ROTATE_270, ROTATE_90, TRANSPOSE, augmentTasks, augmentersFor, buildTttTasks, chain, drawColorPermutation,
  increaseHeight, increaseResolution, increaseWidth, leaveOutTasks, onEveryGrid, reflect, repeat, taskKey, translate,
  type AugmenterGroupName, type FewShotTask, type GridAugmenter, type TaskAugmenter,
} from '../src/tasks/arc/augment.js';
import { readArcSet, type ArcTask, type Grid } from '../src/tasks/arc/data.js';
import { roll } from '../src/tasks/arc/grid.js';
import { hashString, seededRandom } from '../src/util/random.js';

const arcDir = fileURLToPath(new URL('../../../shared/data/arc/', import.meta.url));
const arcTasks: ArcTask[] = [...readArcSet(arcDir, 'training'), ...readArcSet(arcDir, 'evaluation')];
const fewShot: FewShotTask[] = arcTasks.map((t) => ({ demonstrations: t.train, test: t.test[0]! }));
const allGrids: Grid[] = arcTasks.flatMap((t) => [...t.train, ...t.test].flatMap((ex) => [ex.input, ex.output]));
const gridsOf = (t: FewShotTask): Grid[] => [...t.demonstrations, t.test].flatMap((ex) => [ex.input, ex.output]);
const H = (g: Grid) => g.length;
/** Cell-by-cell grid equality, fast enough for the loops over every grid. */
function same(a: Grid | null, b: Grid): boolean {
  if (a === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const [ra, rb] = [a[i]!, b[i]!];
    if (ra.length !== rb.length) return false;
    for (let j = 0; j < ra.length; j++) if (ra[j] !== rb[j]) return false;
  }
  return true;
}
/** deepEqual for hot loops: the readable diff only on failure. */
function sameGrids(actual: Grid | null | Grid[], expected: Grid | Grid[], what: string): void {
  const equal = Array.isArray(expected[0]?.[0])
    ? (actual as Grid[]).length === expected.length && (expected as Grid[]).every((g, i) => same((actual as Grid[])[i]!, g))
    : same(actual as Grid | null, expected as Grid);
  if (!equal) assert.deepEqual(actual, expected, what);
}
const W = (g: Grid) => g[0]!.length;

/** Asserts out is h × w with out[i][j] = f(i, j): the spec's index definitions. */
function assertCells(out: Grid, h: number, w: number, f: (i: number, j: number) => number, what: string): void {
  assert.equal(out.length, h, `${what}: height`);
  for (let i = 0; i < h; i++) {
    assert.equal(out[i]!.length, w, `${what}: width`);
    for (let j = 0; j < w; j++) if (out[i]![j] !== f(i, j)) assert.fail(`${what}: cell (${i}, ${j})`);
  }
}

test('rotations, flips and transpose follow the §4.2 index definitions on every ARC grid', () => {
  for (const g of allGrids) {
    const [h, w] = [H(g), W(g)];
    assertCells(ROTATE_90.apply(g), w, h, (i, j) => g[j]![w - 1 - i]!, 'Rotate(90)');
    assertCells(ROTATE_180.apply(g), h, w, (i, j) => g[h - 1 - i]![w - 1 - j]!, 'Rotate(180)');
    assertCells(ROTATE_270.apply(g), w, h, (i, j) => g[h - 1 - j]![i]!, 'Rotate(270)');
    assertCells(FLIP_ROWS.apply(g), h, w, (i, j) => g[h - 1 - i]![j]!, 'Flip(0)');
    assertCells(FLIP_COLUMNS.apply(g), h, w, (i, j) => g[i]![w - 1 - j]!, 'Flip(1)');
    assertCells(TRANSPOSE.apply(g), w, h, (i, j) => g[j]![i]!, 'Transpose()');
  }
});

test('reflections, repeats, size changes and chains give the §4.2 grids', () => {
  const g = [[1, 2, 3], [4, 5, 6]];
  const up = [[4, 5, 6], [1, 2, 3]];
  const lr = [[3, 2, 1], [6, 5, 4]];
  assert.deepEqual(reflect(0, false).apply(g), [...g, ...up]);
  assert.deepEqual(reflect(0, true).apply(g), [...up, ...g]);
  assert.deepEqual(reflect(1, false).apply(g), [[1, 2, 3, 3, 2, 1], [4, 5, 6, 6, 5, 4]]);
  assert.deepEqual(reflect(1, true).apply(g), [[...lr[0]!, 1, 2, 3], [...lr[1]!, 4, 5, 6]]);
  assert.deepEqual(repeat(0, 2).apply(g), [...g, ...g]);
  assert.deepEqual(repeat(1, 2).apply(g), [[1, 2, 3, 1, 2, 3], [4, 5, 6, 4, 5, 6]]);
  assert.deepEqual(repeat(2, 2).apply(g), [[1, 2, 3, 1, 2, 3], [4, 5, 6, 4, 5, 6], [1, 2, 3, 1, 2, 3], [4, 5, 6, 4, 5, 6]]);
  assert.deepEqual(increaseHeight(2).apply(g), [[1, 2, 3], [1, 2, 3], [4, 5, 6], [4, 5, 6]]);
  assert.deepEqual(increaseWidth(2).apply(g), [[1, 1, 2, 2, 3, 3], [4, 4, 5, 5, 6, 6]]);
  assert.deepEqual(increaseResolution(2).apply([[1, 2]]), [[1, 1, 2, 2], [1, 1, 2, 2]]);
  assert.deepEqual(chain([ROTATE_90, increaseResolution(2)]).apply([[1, 2]]), [[2, 2], [2, 2], [1, 1], [1, 1]]);
  assert.deepEqual(translate(1, 2).apply(g), [[5, 6, 4], [2, 3, 1]]);
  assert.equal(chain([FLIP_ROWS, increaseResolution(2)]).name, 'Chain([Flip(0), IncreaseResolution(2)])');
});

test('the four tool groups are §4.3\'s augmenters in the official order (23 in all)', () => {
  const names = (g: AugmenterGroupName) => AUGMENTER_GROUPS[g].map((a) => a.name);
  assert.deepEqual(names('basic'), [
    'Rotate(90)', 'Rotate(270)', 'Rotate(180)', 'Flip(0)', 'Flip(1)', 'Reflect(0, reverse=True)', 'Reflect(1, reverse=True)',
    'Reflect(0, reverse=False)', 'Reflect(1, reverse=False)', 'RandomTranslateXY()', 'Transpose()',
  ]);
  assert.deepEqual(names('size'), ['IncreaseResolution(2)', 'IncreaseHeight(2)', 'IncreaseWidth(2)']);
  assert.deepEqual(names('chain'), ['Rotate(90)', 'Rotate(270)', 'Rotate(180)', 'Flip(0)', 'Flip(1)', 'Transpose()']
    .map((x) => `Chain([${x}, IncreaseResolution(2)])`));
  assert.deepEqual(names('repeat'), ['Repeat(0, 2)', 'Repeat(1, 2)', 'Repeat(2, 2)']);
  assert.equal(augmentersFor(AUGMENTER_GROUP_NAMES).length, 23);
  assert.deepEqual(augmentersFor(['repeat', 'basic']).map((a) => a.name), [...names('basic'), ...names('repeat')]);
  assert.deepEqual(augmentersFor([]), []);
});

const GRID_AUGMENTERS: GridAugmenter[] = [
  ROTATE_90, ROTATE_180, ROTATE_270, FLIP_ROWS, FLIP_COLUMNS, TRANSPOSE,
  reflect(0, false), reflect(0, true), reflect(1, false), reflect(1, true),
  repeat(0, 2), repeat(1, 2), repeat(2, 2), repeat(2, 3),
  increaseResolution(2), increaseResolution(3), increaseHeight(2), increaseWidth(2),
  ...[ROTATE_90, ROTATE_270, ROTATE_180, FLIP_ROWS, FLIP_COLUMNS, TRANSPOSE].map((x) => chain([x, increaseResolution(2)])),
  translate(1, 3), translate(-2, 5),
];

test('invert(apply(g)) = g for every grid augmenter and every ARC grid', () => {
  for (const aug of GRID_AUGMENTERS) {
    for (const g of allGrids) {
      sameGrids(aug.invert(aug.apply(g)), g, aug.name);
    }
  }
});

test('the official inverters (§4.2) undo their augmenter', () => {
  const byName = new Map(GRID_AUGMENTERS.map((a) => [a.name, a]));
  const g = [[1, 2, 3], [4, 5, 6]];
  for (const aug of [ROTATE_90, ROTATE_180, ROTATE_270, FLIP_ROWS, FLIP_COLUMNS, TRANSPOSE]) {
    assert.deepEqual(byName.get(aug.inverseName!)!.apply(aug.apply(g)), g, aug.name);
  }
  assert.equal(ROTATE_90.inverseName, 'Rotate(270)');
  assert.equal(ROTATE_270.inverseName, 'Rotate(90)');
});

test('partial inverses refuse grids the augmenter cannot have produced', () => {
  assert.equal(increaseResolution(2).invert([[1, 2], [3, 4]]), null);
  assert.equal(increaseResolution(2).invert([[1, 1, 2]]), null);
  assert.equal(increaseHeight(2).invert([[1], [2]]), null);
  assert.equal(reflect(0, false).invert([[1], [2], [1]]), null);
  assert.equal(reflect(0, false).invert([[1], [2]]), null, 'halves are not mirrors');
  assert.deepEqual(reflect(0, false).invert([[1], [1]]), [[1]]);
  assert.equal(reflect(1, true).invert([[1, 2, 3, 4]]), null);
  assert.deepEqual(reflect(1, true).invert([[2, 1, 1, 2]]), [[1, 2]]);
  assert.equal(repeat(2, 2).invert([[1, 2], [2, 1]]), null);
  assert.equal(chain([ROTATE_90, increaseResolution(2)]).invert([[1, 2], [3, 4]]), null);
});

test('every augmenter of a task transforms all of its grids and inverts a prediction for its test output', () => {
  const taskAugmenters = [...augmentersFor(AUGMENTER_GROUP_NAMES), PERMUTE_COLORS, PERMUTE_EXAMPLES];
  fewShot.forEach((task, t) => {
    for (const aug of taskAugmenters) {
      const out = aug.apply(task, seededRandom(t));
      assert.equal(out.task.demonstrations.length, task.demonstrations.length);
      sameGrids(out.invert(out.task.test.output), task.test.output, `${arcTasks[t]!.id} ${aug.name}`);
      if (aug === PERMUTE_EXAMPLES) continue;
      // Grid augmenters act on every grid, demonstrations included.
      const single = GRID_AUGMENTERS.find((g) => g.name === aug.name);
      if (single) sameGrids(gridsOf(out.task), gridsOf(task).map((g) => single.apply(g)), aug.name);
    }
  });
});

test('PermuteColors is a bijection on the task\'s colours that keeps 0 and prefers unused colours (§4.2)', () => {
  fewShot.forEach((task, t) => {
    const random = seededRandom(1000 + t);
    const map = drawColorPermutation(task, random);
    const used = [...new Set(gridsOf(task).flat(2))].filter((c) => c !== 0).sort();
    const images = used.map((c) => map[c]);
    assert.equal(map[0], 0);
    assert.ok(images.every((c) => c !== undefined && c >= 1 && c <= 9), `${arcTasks[t]!.id}: every used colour mapped into 1-9`);
    assert.equal(new Set(images).size, used.length, `${arcTasks[t]!.id}: injective`);
    // While enough unused colours exist, every used colour takes one (no swaps needed).
    if (used.length <= 9 - used.length) assert.ok(images.every((c) => !used.includes(c!)), `${arcTasks[t]!.id}: unused colours`);
    const out = PERMUTE_COLORS.apply(task, seededRandom(1000 + t)).task;
    sameGrids(gridsOf(out), gridsOf(task).map((g) => g.map((row) => row.map((c) => map[c]!))), arcTasks[t]!.id);
  });
});

test('RandomTranslateXY rolls each grid by at most min(4, side) − 1, alike across examples, inputs and outputs apart', () => {
  const shifts = (from: Grid, to: Grid) => {
    const found = new Set<string>();
    for (let dx = 0; dx < Math.min(4, H(from)); dx++) {
      for (let dy = 0; dy < Math.min(4, W(from)); dy++) if (same(roll(from, dx, dy), to)) found.add(`${dx},${dy}`);
    }
    return found;
  };
  let inputAndOutputDiffer = 0;
  fewShot.forEach((task, t) => {
    const out = RANDOM_TRANSLATE_XY.apply(task, seededRandom(t)).task;
    const before = [...task.demonstrations, task.test];
    const after = [...out.demonstrations, out.test];
    const inputShifts = before.map((ex, i) => shifts(ex.input, after[i]!.input));
    const outputShifts = before.map((ex, i) => shifts(ex.output, after[i]!.output));
    for (const s of [...inputShifts, ...outputShifts]) assert.ok(s.size > 0, `${arcTasks[t]!.id}: a roll within range`);
    // Inputs of one shape (at least 4 × 4, so the range is the same) share a shift.
    const big = before.flatMap((ex, i) => (H(ex.input) >= 4 && W(ex.input) >= 4 ? [inputShifts[i]!] : []));
    if (big.length > 1) assert.ok([...big[0]!].some((s) => big.every((b) => b.has(s))), `${arcTasks[t]!.id}: one shift for all`);
    if (![...inputShifts[0]!].some((s) => outputShifts[0]!.has(s))) inputAndOutputDiffer++;
  });
  assert.ok(inputAndOutputDiffer > fewShot.length / 2, 'inputs and outputs usually move differently (§9 quirk 6)');
});

/** §4.2's output shape of each augmenter, for the drop rule. */
function expectedShape(name: string, h: number, w: number): [number, number] {
  const chained = /^Chain\(\[(.*), IncreaseResolution\(2\)\]\)$/.exec(name);
  if (chained) {
    const [a, b] = expectedShape(chained[1]!, h, w);
    return [2 * a, 2 * b];
  }
  if (['Rotate(90)', 'Rotate(270)', 'Transpose()'].includes(name)) return [w, h];
  if (['Rotate(180)', 'Flip(0)', 'Flip(1)', 'RandomTranslateXY()'].includes(name)) return [h, w];
  if (/^(Reflect\(0|Repeat\(0|IncreaseHeight)/.test(name)) return [2 * h, w];
  if (/^(Reflect\(1|Repeat\(1|IncreaseWidth)/.test(name)) return [h, 2 * w];
  if (/^(Repeat\(2|IncreaseResolution)/.test(name)) return [2 * h, 2 * w];
  throw new Error(`no shape rule for ${name}`);
}

test('augmented tasks with a grid over 30 × 30 are dropped, all others kept (every ARC task)', () => {
  const augmenters = augmentersFor(AUGMENTER_GROUP_NAMES);
  let dropped = 0;
  fewShot.forEach((task, t) => {
    const fitting = augmenters.filter((a) =>
      gridsOf(task).every((g) => expectedShape(a.name, H(g), W(g)).every((side) => side <= 30)),
    );
    const kept = augmentTasks([task], augmenters, 0);
    assert.equal(kept.length, fitting.length, arcTasks[t]!.id);
    dropped += augmenters.length - fitting.length;
    kept.forEach((k, i) => {
      gridsOf(k).forEach((g, j) => {
        const original = gridsOf(task)[j]!;
        const [h, w] = expectedShape(fitting[i]!.name, H(original), W(original));
        if (H(g) !== h || W(g) !== w) assert.fail(`${arcTasks[t]!.id} ${fitting[i]!.name}: ${H(g)} x ${W(g)}, expected ${h} x ${w}`);
        assert.ok(g.length <= 30 && g.every((row) => row.length <= 30));
      });
    });
  });
  assert.ok(dropped > 1000, `the data has many large grids (${dropped} drops)`);
  const square = (n: number): FewShotTask => ({ demonstrations: [], test: { input: Array.from({ length: n }, () => Array(15).fill(1)), output: [[1]] } });
  const upscale = [onEveryGrid(increaseResolution(2))];
  assert.equal(augmentTasks([square(15)], upscale, 0).length, 1);
  assert.equal(augmentTasks([square(16)], upscale, 0).length, 0);
});

test('leave-out tasks: each pair held out with each way of dropping n − 1 more, the rest in order (§4.4 step 1)', () => {
  const choose = (n: number, k: number): number => (k === 0 ? 1 : (choose(n - 1, k - 1) * n) / k);
  for (const task of arcTasks) {
    const pairs = task.train;
    const N = pairs.length;
    for (const n of [1, 2]) {
      const tasks = leaveOutTasks(pairs, n);
      assert.equal(tasks.length, N * choose(N - 1, n - 1), `${task.id} n=${n}`);
      for (const t of tasks) {
        assert.equal(t.demonstrations.length, N - n);
        const held = pairs.indexOf(t.test);
        const positions = t.demonstrations.map((d) => pairs.indexOf(d));
        assert.ok(held >= 0 && !positions.includes(held), 'held out from the train pairs, never the real test');
        assert.deepEqual(positions, [...positions].sort((a, b) => a - b), 'original order');
      }
      assert.equal(new Set(tasks.map((t) => `${pairs.indexOf(t.test)}:${t.demonstrations.map((d) => pairs.indexOf(d))}`)).size, tasks.length);
    }
  }
});

test('TTT set sizes match the spec\'s table for the filtered training set (§4.4)', () => {
  // "basic only" and "all four" per task, before the token filter and the cap.
  const table: Record<string, [number, number]> = {
    '5614dbcf': [96, 192], '6150a2bd': [96, 192], '4be741c5': [188, 264], '8e1813be': [188, 264],
    '5582e5ca': [216, 432], '8be77c9e': [212, 428], '8d5021e8': [200, 400], '5bd6f4ac': [384, 768],
    '67e8384a': [384, 768], '6d0aefbc': [384, 768], '6e02f1e3': [600, 1200], '44f52bb0': [864, 1728],
  };
  // NumPy's RandomState(0) shifts this task's 3 × 3 inputs and 6 × 3 outputs right by one column
  // (randint draws 0, 1 and 0, 1), which turns two of its leave-two-out tasks into their Flip(1)
  // copies; our seeded shifts differ, so the official draw is substituted to reproduce the count.
  const officialShift = (augs: TaskAugmenter[]) => augs.map((a) => (a === RANDOM_TRANSLATE_XY ? onEveryGrid(translate(0, 1)) : a));
  for (const task of readArcSet(arcDir, 'training-filtered')) {
    const size = (augs: TaskAugmenter[]) => buildTttTasks(task.train, task.id === '8be77c9e' ? officialShift(augs) : augs, { maxTasks: Infinity }).length;
    assert.deepEqual([size(augmentersFor(['basic'])), size(augmentersFor(AUGMENTER_GROUP_NAMES))], table[task.id], task.id);
    if (task.train.length === 2) assert.equal(size([]), 4, `${task.id}: nothing random to vary with no groups`);
  }
  const own = readArcSet(arcDir, 'training-filtered').find((t) => t.id === '8be77c9e')!;
  assert.equal(buildTttTasks(own.train, augmentersFor(['basic']), { maxTasks: Infinity }).length, 216, 'with our own draws');
});

test('the official configuration: capped at 250, same seed → same set, other seed → other set', () => {
  const task = readArcSet(arcDir, 'training-filtered').find((t) => t.id === '44f52bb0')!;
  const keys = (seed: number, maxTasks?: number) =>
    buildTttTasks(task.train, augmentersFor(AUGMENTER_GROUP_NAMES), maxTasks === undefined ? { seed } : { seed, maxTasks }).map(taskKey);
  const capped = keys(0);
  assert.equal(capped.length, 250);
  assert.deepEqual(keys(0), capped);
  assert.notDeepEqual(keys(1), capped);
  const everything = new Set(keys(0, Infinity));
  assert.ok(capped.every((k) => everything.has(k)), 'the cap keeps a subset');
  const kept = buildTttTasks(task.train, augmentersFor(['size']), { keep: (t) => t.demonstrations.length >= 5 });
  assert.ok(kept.length > 0 && kept.every((t) => t.demonstrations.length === 5), 'keep filters before the cap');
});

test('every ARC task: TTT tasks fit 30 × 30, and a seed fixes the set', () => {
  const size = augmentersFor(['size']);
  let differing = 0;
  for (const task of arcTasks) {
    // Each set is checked and reduced to a digest of its task keys at once: keeping whole sets alive
    // across builds makes V8's young-generation collections several times slower.
    const checkedDigest = (seed: number) => {
      const tasks = buildTttTasks(task.train, size, { seed, leaveOut: [1], maxTasks: Infinity });
      for (const t of tasks) for (const g of gridsOf(t)) assert.ok(g.length <= 30 && g[0]!.length <= 30, task.id);
      return hashString(tasks.map(taskKey).join('\n'));
    };
    const first = checkedDigest(0);
    assert.equal(checkedDigest(0), first, `${task.id}: same seed`);
    if (checkedDigest(1) !== first) differing++;
  }
  // Colour permutations alone make every task's set seed-dependent (even where every size augmentation is dropped).
  assert.equal(differing, arcTasks.length, 'other seed, other set');
});
