// Grid text against spec arc.md §2: NumPy's str() format, the task messages of the spec's rendered
// examples (read from the spec itself), a round trip for every grid of the ARC data, and the answer
// parser's refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readArcSet, type Grid } from '../src/tasks/arc/data.js';
import { exampleAnswer, gridToPlainText, gridToText, parseAnswer, parseGridText, taskMessages } from '../src/tasks/arc/grid-text.js';
import { seededRandom } from '../src/util/random.js';

const arcDir = fileURLToPath(new URL('../../../shared/data/arc/', import.meta.url));
const specPath = fileURLToPath(new URL('../../../shared/spec/arc.md', import.meta.url));
const allGrids: Grid[] = (['training', 'evaluation'] as const).flatMap((set) =>
  readArcSet(arcDir, set).flatMap((t) => [...t.train, ...t.test].flatMap((ex) => [ex.input, ex.output])),
);

test('grids print as NumPy str(): one space between cells, "]\\n [" between rows (§2.1)', () => {
  assert.equal(gridToText([[3, 3, 8], [3, 7, 0], [5, 0, 0]]), '[[3 3 8]\n [3 7 0]\n [5 0 0]]');
  assert.equal(gridToText([[7]]), '[[7]]');
  assert.equal(gridToText([[1, 2, 3]]), '[[1 2 3]]');
  assert.equal(gridToText([[1], [2], [3]]), '[[1]\n [2]\n [3]]');
  assert.equal(gridToPlainText([[3, 3, 8], [3, 7, 0]]), '3 3 8\n3 7 0\n');
});

/** The system and user contents and the assistant target of a rendered Llama-3 text in the spec. */
function renderedTurns(block: string): { system: string; user: string; assistant?: string } {
  const system = /Today Date: DD Mon YYYY\n\n([\s\S]*?)<\|eot_id\|>/.exec(block)![1]!;
  const user = /user<\|end_header_id\|>\n\n([\s\S]*?)<\|eot_id\|>/.exec(block)![1]!;
  const assistant = /assistant<\|end_header_id\|>\n\n([\s\S]+?)<\|eot_id\|>/.exec(block)?.[1];
  return assistant === undefined ? { system, user } : { system, user, assistant };
}

test('task messages reproduce the spec\'s rendered 6150a2bd texts (the chat template strips each message)', () => {
  const spec = readFileSync(specPath, 'utf8');
  const section = spec.slice(spec.indexOf('**Rendered example**'));
  const [inference, leaveOneOut] = [...section.matchAll(/```text\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const task = readArcSet(arcDir, 'training-filtered').find((t) => t.id === '6150a2bd')!;
  const strip = (m: { system: string; user: string; assistant: string }) => ({ system: m.system.trim(), user: m.user.trim(), assistant: m.assistant.trim() });

  const query = strip(taskMessages(task.train, task.test[0]!));
  assert.deepEqual(renderedTurns(inference!), { system: query.system, user: query.user });
  assert.equal(query.assistant, '[[0 0 4]\n [0 8 6]\n [5 3 6]]#', 'the expected model output quoted in §2.1');
  // Demonstration = pair 1, held out = pair 0.
  assert.deepEqual(renderedTurns(leaveOneOut!), strip(taskMessages([task.train[1]!], task.train[0]!)));

  const raw = taskMessages(task.train, task.test[0]!);
  assert.ok(raw.system.endsWith(']]#\n') && raw.user.endsWith(']] -> '), 'before the template strips them');
});

test('every grid of the training and evaluation sets survives text and back', () => {
  assert.ok(allGrids.length > 6000);
  for (const g of allGrids) {
    assert.deepEqual(parseGridText(gridToText(g)), g);
    assert.deepEqual(parseAnswer(exampleAnswer(g)), g);
  }
});

test('answers are read the §2.2 way: "#" removed, fenced block taken, whitespace tolerated', () => {
  const g = [[1, 2], [3, 4]];
  for (const text of [
    '[[1 2]\n [3 4]]#',
    '[[1 2]\n [3 4]]',
    '[[1  2]\n  [3 4]]#',
    '  [[1 2]\n [3 4]]#\n',
    '```\n[[1 2]\n [3 4]]#\n```',
    'Here it is: ```[[1 2]\n [3 4]]``` hope that helps',
    '[[1 2][3 4]]',
    '#[[1 2]\n [3 4]]##',
  ]) {
    assert.deepEqual(parseAnswer(text), g, JSON.stringify(text));
  }
});

test('malformed answers are invalid predictions (null), never exceptions', () => {
  const malformed = [
    '', '   ', '#', '[]', '[[]]', '[[ ]]', '[[]\n []]',
    '[[1 2]\n [3 4]', '[[1 2]\n [3 4]]]', '[1 2]\n [3 4]]', '[[1 2]\n 3 4]]', '[[1 2]]\n [3 4]]', '1 2\n3 4',
    '[[1 2]\n [3]]', '[[1]\n [3 4]]', '[[1 2 3]\n [4 5]\n [6 7 8]]',
    '[[1, 2], [3, 4]]', '[[1 2],\n [3 4]]', '[[1 a]\n [3 4]]', '[[one two]]', '[[1 2]\n [3 4]] done', 'The answer is [[1 2]]',
    '[[12 3]]', '[[-1 2]]', '[[1.0 2]]', '[[1e1 2]]', '[[0x1 2]]', '[[１ 2]]',
    '[[1 2]] [[3 4]]', '[[[1 2]]]', '```python\n[[1 2]]\n```', '```\n```', '[[1 2]\n [3 4]]\n[[5 6]]',
  ];
  for (const text of malformed) assert.equal(parseAnswer(text), null, JSON.stringify(text));
  assert.equal(parseAnswer(undefined as unknown as string), null);
  assert.equal(parseAnswer('['.repeat(100000)), null);
});

test('dropping any one bracket, or one cell of a row, makes a grid text invalid', () => {
  const random = seededRandom(7);
  for (const g of allGrids.filter((_, i) => i % 20 === 0)) {
    const text = exampleAnswer(g);
    const brackets = [...text].flatMap((ch, i) => (ch === '[' || ch === ']' ? [i] : []));
    const at = brackets[Math.floor(random() * brackets.length)]!;
    assert.equal(parseAnswer(text.slice(0, at) + text.slice(at + 1)), null, `${text} without char ${at}`);
    if (g.length > 1) {
      const row = Math.floor(random() * g.length);
      const ragged = g.map((r, i) => (i === row ? r.slice(1) : r));
      if (ragged[row]!.length > 0) assert.equal(parseGridText(gridToText(ragged)), null);
    }
  }
});
