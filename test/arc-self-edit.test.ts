// The ARC self-edit against spec arc.md §3: the prompt strings (read from the spec itself), the
// rendered user turn, and the configuration parser on realistic messy model outputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readArcSet } from '../src/tasks/arc/data.js';
import {
  SELF_EDIT_INSTRUCTIONS, SELF_EDIT_SYSTEM_MESSAGE, enabledGroups, exceedsStepBudget, llama3SelfEditPrompt, parseSelfEdit,
  selfEditUserMessage, type ArcSelfEditConfig,
} from '../src/tasks/arc/self-edit.js';
import { seededRandom } from '../src/util/random.js';

const arcDir = fileURLToPath(new URL('../../../shared/data/arc/', import.meta.url));
const spec = readFileSync(fileURLToPath(new URL('../../../shared/spec/arc.md', import.meta.url)), 'utf8');
const task6150 = readArcSet(arcDir, 'training-filtered').find((t) => t.id === '6150a2bd')!;

test('the prompt strings are the spec\'s quoted JSON literals (§3.1)', () => {
  const literal = (start: string) => JSON.parse(spec.split('\n').find((line) => line.startsWith(start))!) as string;
  assert.equal(SELF_EDIT_INSTRUCTIONS, literal('"\\nYou are configuring'));
  assert.equal(SELF_EDIT_SYSTEM_MESSAGE, literal('"You are a helpful assistant'));
  assert.ok(SELF_EDIT_INSTRUCTIONS.startsWith('\n') && SELF_EDIT_INSTRUCTIONS.endsWith('}\n'));
});

test('the user turn shows the train pairs as plain rows, then "------" and the instructions (§3.1, task 6150a2bd)', () => {
  const block = /Rendered user turn for task 6150a2bd[^\n]*\n```text\n([\s\S]*?)```/.exec(spec)![1]!;
  const shown = block.slice(0, block.indexOf('\nYou are configuring') + 1); // through the newline that starts the instructions
  const message = selfEditUserMessage(task6150.train);
  assert.equal(message, shown + SELF_EDIT_INSTRUCTIONS.slice(1));
  assert.ok(message.includes('2 5 5\n\n------\n\n\nYou are configuring'), 'three newlines between ------ and You are');
  assert.ok(!message.includes('6 3 5\n6 8 0\n4 0 0'), 'the test input is not shown');
});

test('the full prompt is hand-built Llama-3 chat text without the date preamble (§3.1)', () => {
  const prompt = llama3SelfEditPrompt(task6150.train);
  assert.equal(prompt,
    `<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n${SELF_EDIT_SYSTEM_MESSAGE}<|eot_id|>` +
    `<|start_header_id|>user<|end_header_id|>\n\n${selfEditUserMessage(task6150.train)}<|eot_id|>` +
    '<|start_header_id|>assistant<|end_header_id|>\n\n');
  assert.ok(!prompt.includes('Cutting Knowledge'));
});

const expected: ArcSelfEditConfig = {
  augmentations: { basic: true, size: false, chain: true, repeat: false },
  strategy: 'train_using_output_tokens',
  learningRate: 1e-4,
  numTrainEpochs: 3,
};

const strict = `{
  "data_generation": {
    "use_basic_augmentations": true,
    "use_size_augmentations": false,
    "use_chain_augmentations": true,
    "use_repeat_augmentations": false
  },
  "training": {
    "strategy": "train_using_output_tokens",
    "learning_rate": 0.0001,
    "num_train_epochs": 3
  }
}`;

test('messy but complete self-edits parse to the configuration', () => {
  const messy = [
    strict,
    `\`\`\`json\n${strict}\n\`\`\``,
    `Sure! Here is the configuration for this task:\n\n${strict}\n\nThis uses basic and chain augmentations, which suit a rotation task.`,
    strict.replace(/true/g, 'True').replace(/false/g, 'False'),
    strict.replace(/"/g, "'"),
    strict.replace('false\n  }', 'false,\n  }').replace('3\n  }', '3,\n  },'),
    strict.replace('0.0001', '1e-4').replace(/"(\w+)":/g, '$1:'),
    `{"data_generation": {"use_basic_augmentations": true, "use_size_augmentations": false, "use_chain_augmentations": true, "use_repeat_augmentations": false}, "training": {"strategy": "train_using_output_tokens", "learning_rate": .0001, "num_train_epochs": 3.0, "batch_size": 2}, "notes": null}`,
    // The prompt's own template echoed first (its "..." values are not JSON), then the answer.
    `Example output:\n\n{\n  "data_generation": {\n    "use_basic_augmentations": ...,\n  }\n}\n\nMy answer:\n${strict}`,
    `{"reasoning": "rotations help"}\n${strict}`,
  ];
  for (const text of messy) assert.deepEqual(parseSelfEdit(text), { ok: true, config: expected }, text);
  assert.deepEqual(enabledGroups(expected), ['basic', 'chain']);
});

test('unusable self-edits give a reason naming the field', () => {
  const edit = (from: string, to: string) => {
    assert.ok(strict.includes(from), from);
    return strict.replace(from, to);
  };
  const cases: [string, RegExp][] = [
    ['', /no JSON object/],
    ['I would use basic augmentations and train for 3 epochs.', /no JSON object/],
    [strict.slice(0, 200), /no complete configuration object \(.*\)/],
    ['{"use_basic_augmentations": true, "learning_rate": 0.0001}', /no data_generation or training field/],
    [edit('"use_chain_augmentations": true,\n', ''), /^data_generation\.use_chain_augmentations is missing \(expected true or false\)$/],
    [edit('"use_size_augmentations": false', '"use_size_augmentations": "no"'), /^data_generation\.use_size_augmentations must be true or false, got "no"$/],
    [edit('"use_repeat_augmentations": false', '"use_repeat_augmentations": None'), /^data_generation\.use_repeat_augmentations must be true or false, got null$/],
    [edit('"use_basic_augmentations": true', '"use_basic_augmentations": 1'), /^data_generation\.use_basic_augmentations must be true or false, got 1$/],
    [edit('"train_using_output_tokens"', '"train_using_all_and_output_tokens"'), /^training\.strategy must be "train_using_all_tokens" or "train_using_output_tokens", got "train_using_all_and_output_tokens"$/],
    [edit('"strategy": "train_using_output_tokens",\n', ''), /^training\.strategy is missing/],
    [edit('0.0001', '-0.0001'), /^training\.learning_rate must be a number in \(0, 1\], got -0\.0001$/],
    [edit('0.0001', '0'), /^training\.learning_rate must be a number in \(0, 1\], got 0$/],
    [edit('0.0001', '5'), /^training\.learning_rate must be a number in \(0, 1\], got 5$/],
    [edit('0.0001', '"1e-4"'), /^training\.learning_rate must be a number in \(0, 1\], got "1e-4"$/],
    [edit('"learning_rate": 0.0001,\n', ''), /^training\.learning_rate is missing/],
    [edit('"num_train_epochs": 3', '"num_train_epochs": 2.5'), /^training\.num_train_epochs must be a whole number of at least 1, got 2\.5$/],
    [edit('"num_train_epochs": 3', '"num_train_epochs": 0'), /^training\.num_train_epochs must be a whole number of at least 1, got 0$/],
    [edit('"num_train_epochs": 3', '"num_train_epochs": "3"'), /^training\.num_train_epochs must be a whole number of at least 1, got "3"$/],
    ['{"data_generation": [true, false, true, false], "training": {}}', /^data_generation must be an object, got \[true,false,true,false\]$/],
    ['{"data_generation": {"use_basic_augmentations": true}}', /^training is missing \(expected an object\)$/],
  ];
  for (const [text, reason] of cases) {
    const result = parseSelfEdit(text);
    assert.equal(result.ok, false, text);
    if (!result.ok) assert.match(result.reason, reason, text);
  }
});

test('the parser never throws, whatever the text', () => {
  const random = seededRandom(11);
  const alphabet = ['{', '}', '[', ']', '"', "'", ':', ',', ' ', '\n', '\\', 'a', 'e', '1', '.', '-', 'True', 'None', '```', 'data_generation', 'training'];
  for (let i = 0; i < 3000; i++) {
    const text = Array.from({ length: Math.floor(random() * 60) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    const result = parseSelfEdit(text);
    assert.equal(typeof result.ok, 'boolean');
  }
  for (const text of ['{'.repeat(100000), '['.repeat(100000), `{"data_generation": ${'['.repeat(5000)}`, '{"__proto__": {"x": 1}, "training": 1}']) {
    assert.equal(parseSelfEdit(text).ok, false);
  }
  assert.equal(parseSelfEdit(undefined as unknown as string).ok, false);
});

test('the official step budget: epochs × examples // 2 over 375 steps trains nothing (§3.3 rule 6)', () => {
  assert.equal(exceedsStepBudget(3, 250), false);
  assert.equal(exceedsStepBudget(4, 187), false);
  assert.equal(exceedsStepBudget(4, 188), true);
  assert.equal(exceedsStepBudget(1, 751), false);
  assert.equal(exceedsStepBudget(1, 752), true);
});
