// The ARC SEAL task against spec arc.md: self-edit → TTT rows and settings (§4.4, §5, §3.3 rule 6),
// queries and views (§6.2), inversion and the two-attempt vote (§6.4), pass@2 (§6.5); and the
// machinery end to end on a random-init model (too small to solve ARC, so only the plumbing is
// checked there). Scripted answerers make the voting deterministic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '../src/model/tokenizer.js';
import { parseConfig } from '../src/model/config.js';
import { initWeights } from '../src/model/random.js';
import { Transformer } from '../src/model/transformer.js';
import type { LoadedModel } from '../src/model/load.js';
import { trainBpe } from '../src/tokenizer/train-bpe.js';
import { tokenizeRow } from '../src/train/data.js';
import { innerLoop } from '../src/seal/inner.js';
import type { InnerTrainSettings, SealTask } from '../src/seal/task.js';
import { AUGMENTER_GROUP_NAMES, augmentersFor, buildTttTasks, taskKey, type AugmenterGroupName } from '../src/tasks/arc/augment.js';
import { readArcSet, type ArcExample, type Grid } from '../src/tasks/arc/data.js';
import { exampleAnswer, renderQuery, taskMessages } from '../src/tasks/arc/grid-text.js';
import { flipColumns, flipRows, gridKey, rotate180, rotate270, rotate90, transpose } from '../src/tasks/arc/grid.js';
import {
  buildQueries, columnMajority, pyGridHash, pySetOrder, pyTupleHash, rowMajority, solveTestInput, topThree, vote,
  type Answerer, type ArcQuery,
} from '../src/tasks/arc/inference.js';
import { llama3SelfEditPrompt, type ArcSelfEditConfig, type TrainingStrategy } from '../src/tasks/arc/self-edit.js';
import { ArcTask, arcContexts, type ArcContext, type ArcEvaluationDetails } from '../src/tasks/arc/task.js';
import { ARC_TTT_DEFAULTS, planTtt, rowTokens, type TttNote, type TttPlan, type TttSettings } from '../src/tasks/arc/ttt.js';

const arcDir = fileURLToPath(new URL('../../../shared/data/arc/', import.meta.url));
const spec = readFileSync(fileURLToPath(new URL('../../../shared/spec/arc.md', import.meta.url)), 'utf8');
const llama3 = Tokenizer.fromDir(join(fileURLToPath(new URL('../../node_modules/@lenml/', import.meta.url)), 'tokenizer-llama3', 'models'));
const contexts = arcContexts(readArcSet(arcDir, 'training-filtered'));
const context = (id: string): ArcContext => contexts.find((c) => c.id === id)!;
const c6150 = context('6150a2bd-0');

function config(groups: AugmenterGroupName[], strategy: TrainingStrategy, learningRate: number, numTrainEpochs: number): ArcSelfEditConfig {
  const augmentations = Object.fromEntries(AUGMENTER_GROUP_NAMES.map((g) => [g, groups.includes(g)])) as Record<AugmenterGroupName, boolean>;
  return { augmentations, strategy, learningRate, numTrainEpochs };
}

/** The self-edit text a policy would write for a configuration (§3.3's JSON shape). */
function selfEditText(c: ArcSelfEditConfig): string {
  const data = Object.fromEntries(AUGMENTER_GROUP_NAMES.map((g) => [`use_${g}_augmentations`, c.augmentations[g]]));
  return JSON.stringify({ data_generation: data, training: { strategy: c.strategy, learning_rate: c.learningRate, num_train_epochs: c.numTrainEpochs } });
}

function ok(plan: TttPlan | { ok: boolean }): asserts plan is Extract<TttPlan, { ok: true }> {
  assert.ok(plan.ok, `expected a usable plan, got ${JSON.stringify(plan)}`);
}

// ---- A random-init model with a small BPE vocabulary of grid text and ChatML -----------------------

const tiny: LoadedModel = (() => {
  const texts = contexts.flatMap((c) => {
    const m = taskMessages(c.train, c.test);
    return [m.system, m.user, m.assistant];
  });
  const bpe = trainBpe(texts, { vocabSize: 320 });
  const tokenizer = new Tokenizer(bpe.tokenizerJson, bpe.tokenizerConfig, 'tiny-arc');
  const cfg = parseConfig({
    architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2,
    num_attention_heads: 2, num_key_value_heads: 1, vocab_size: bpe.vocabSize, max_position_embeddings: 2048, rms_norm_eps: 1e-5,
    rope_theta: 10000, hidden_act: 'silu', tie_word_embeddings: true, eos_token_id: tokenizer.eosId,
  });
  return { dir: 'tiny-arc', config: cfg, model: new Transformer(cfg, initWeights(cfg, 0)), tokenizer, generation: { bosTokenId: null, eosTokenIds: [tokenizer.eosId!] } };
})();
const tinyTokenizer = tiny.tokenizer!;
const runDefaults: InnerTrainSettings = { ...ARC_TTT_DEFAULTS, rank: 2, alpha: 4, lr: 9, epochs: 9 };

// ---- Self-edit → TTT training (§4.4, §5, §3.3) ----------------------------------------------------

test('TTT rows are §2.1\'s training text: the spec\'s leave-one-out example of 6150a2bd, query then answer', () => {
  // The vendored Llama-3 template has no date preamble (Llama-3.2's adds it); otherwise identical.
  const block = (after: string) => new RegExp(`${after}[^\\n]*\\n\`\`\`text\\n([\\s\\S]*?)\`\`\``).exec(spec)![1]!.replace('Cutting Knowledge Date: December 2023\nToday Date: DD Mon YYYY\n\n', '');
  const plan = planTtt(c6150.train, config([], 'train_using_all_tokens', 1e-4, 2), ARC_TTT_DEFAULTS, { tokenizer: llama3 });
  ok(plan);
  const texts = plan.rows.map((r) => r.prompt + r.completion);
  assert.ok(texts.includes(block('One leave-one-out training text')), 'the spec\'s training text is one of the rows');
  const spot = plan.rows[texts.indexOf(block('One leave-one-out training text'))]!;
  assert.equal(spot.completion, '[[0 0 5]\n [0 7 3]\n [8 3 3]]#<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n');
  // The prompt half is exactly the inference query for that task, the spec's inference example included.
  assert.equal(spot.prompt, renderQuery(llama3, [c6150.train[1]!], c6150.train[0]!));
  assert.equal(renderQuery(llama3, c6150.train, c6150.test), block('Inference query for the real test input:'));
});

test('answer-only loss covers exactly what follows the third <|end_header_id|>\\n\\n (§5); all-tokens covers everything', () => {
  for (const strategy of ['train_using_output_tokens', 'train_using_all_tokens'] as const) {
    const plan = planTtt(c6150.train, config(['basic'], strategy, 1e-4, 1), ARC_TTT_DEFAULTS, { tokenizer: llama3 });
    ok(plan);
    assert.equal(plan.settings.completionOnly, strategy === 'train_using_output_tokens');
    for (const row of plan.rows.slice(0, 20)) {
      const { ids, learn } = tokenizeRow(row, llama3, { completionOnly: plan.settings.completionOnly });
      const headers = ids.flatMap((id, i) => (id === 128007 && ids[i + 1] === 271 ? [i] : []));
      assert.equal(headers.length, 4, 'system, user, answer and the trailing generation header');
      assert.equal(ids[0], 128000, 'the template\'s BOS');
      const firstLearned = strategy === 'train_using_output_tokens' ? headers[2]! + 2 : 0;
      assert.deepEqual(learn, ids.map((_, i) => i >= firstLearned));
    }
  }
});

test('plan: one row per TTT task (the spec\'s 4 / 96 / 192 for 6150a2bd), the configuration\'s lr, epochs and loss, the run\'s other settings', () => {
  const cases: [AugmenterGroupName[], number, TrainingStrategy][] = [
    [[], 4, 'train_using_all_tokens'], [['basic'], 96, 'train_using_output_tokens'], [[...AUGMENTER_GROUP_NAMES], 192, 'train_using_all_tokens'],
  ];
  for (const [groups, expected, strategy] of cases) {
    const plan = planTtt(c6150.train, config(groups, strategy, 3e-4, 1), runDefaults, { tokenizer: tinyTokenizer });
    ok(plan);
    assert.equal(plan.rows.length, expected, groups.join('+') || 'no groups');
    assert.equal(plan.rows.length, buildTttTasks(c6150.train, augmentersFor(groups)).length);
    assert.deepEqual(plan.settings, { ...runDefaults, lr: 3e-4, epochs: 1, completionOnly: strategy === 'train_using_output_tokens', maxSteps: 375 });
    assert.deepEqual(plan.note, {
      config: config(groups, strategy, 3e-4, 1), groups, augmenters: augmentersFor(groups).length, examples: expected, droppedTooLong: 0,
      steps: Math.ceil(expected / 2),
    } satisfies TttNote);
    for (const row of plan.rows) {
      assert.ok(row.prompt.endsWith('<|im_start|>assistant\n'), 'the prompt is the query up to the generation prompt');
      assert.match(row.completion, /^\[\[[0-9 \n[\]]+\]\]#<\|im_end\|>\n<\|im_start\|>assistant\n$/, 'the completion is one answer grid');
    }
  }
});

test('plan: epochs × examples // batch over 375 steps is refused (§3.3 rule 6), at the boundary; the cap holds where epochs round up', () => {
  const at = (groups: AugmenterGroupName[], epochs: number, maxTttExamples?: number) =>
    planTtt(c6150.train, config(groups, 'train_using_all_tokens', 1e-4, epochs), ARC_TTT_DEFAULTS, { tokenizer: tinyTokenizer, maxExamples: maxTttExamples });
  ok(at(['basic'], 7)); // 96 · 7 / 2 = 336
  const over = at(['basic'], 8); // 384
  assert.equal(over.ok, false);
  assert.match((over as { reason: string }).reason, /8 epochs × 96 examples at batch 2 = 384 steps, over the 375-step budget/);
  ok(at([...AUGMENTER_GROUP_NAMES], 3)); // 192 · 3 / 2 = 288
  assert.equal(at([...AUGMENTER_GROUP_NAMES], 4).ok, false); // 384
  // 187 examples × 4 epochs: 748 // 2 = 374 passes the rule, but 94 batches × 4 = 376 steps: capped.
  const odd = at([...AUGMENTER_GROUP_NAMES], 4, 187);
  ok(odd);
  assert.equal(odd.rows.length, 187);
  assert.equal(odd.settings.maxSteps, 375);
  assert.equal(odd.note.steps, 375);
  // The budget counts optimiser steps at the run's batch (batch × accumulation).
  const big = planTtt(c6150.train, config(['basic'], 'train_using_all_tokens', 1e-4, 8), { ...ARC_TTT_DEFAULTS, batchSize: 2, gradAccum: 2 }, { tokenizer: tinyTokenizer });
  ok(big);
  assert.equal(big.note.steps, 24 * 8);
});

test('plan: TTT sequences at or over the token limit are dropped before the 250 cap (§4.4 step 5)', () => {
  const cfg = config([...AUGMENTER_GROUP_NAMES], 'train_using_all_tokens', 1e-4, 1);
  const all = planTtt(c6150.train, cfg, ARC_TTT_DEFAULTS, { tokenizer: tinyTokenizer, maxTokens: Infinity });
  ok(all);
  const lengths = all.rows.map((r) => rowTokens(tinyTokenizer, r));
  const limit = [...lengths].sort((a, b) => a - b)[Math.floor(lengths.length / 2)]!;
  const cut = planTtt(c6150.train, cfg, ARC_TTT_DEFAULTS, { tokenizer: tinyTokenizer, maxTokens: limit });
  ok(cut);
  assert.deepEqual(cut.rows, all.rows.filter((_, i) => lengths[i]! < limit));
  assert.equal(cut.note.droppedTooLong, lengths.filter((n) => n >= limit).length);
  assert.ok(cut.note.droppedTooLong > 0 && cut.rows.length > 0);
  const none = planTtt(c6150.train, cfg, ARC_TTT_DEFAULTS, { tokenizer: tinyTokenizer, maxTokens: Math.min(...lengths) });
  assert.deepEqual(none, { ok: false, reason: `no TTT example under ${Math.min(...lengths)} tokens (192 dropped as too long)` });
  // 44f52bb0 (6 pairs) with every group: 1,728 tasks, a seeded subset of 250 kept.
  const big = planTtt(context('44f52bb0-0').train, config([...AUGMENTER_GROUP_NAMES], 'train_using_all_tokens', 1e-4, 1), ARC_TTT_DEFAULTS, { tokenizer: tinyTokenizer });
  ok(big);
  assert.equal(big.rows.length, 250);
});

// ---- Queries (§6.2) -------------------------------------------------------------------------------

const keyOf = (train: ArcExample[], test: ArcExample) => taskKey({ demonstrations: train, test });

test('queries: each pair left out (rest in order + re-orderings) and five views with the official inverters (§6.2)', () => {
  // N = 2: two leave-one-out tasks (one demonstration, nothing to re-order) and five views → 7.
  const q = buildQueries(c6150.train, c6150.test);
  assert.equal(q.length, 7);
  const identity = q.filter((x) => x.view === 'identity');
  assert.deepEqual(identity.map((x) => taskKey(x.task)), [keyOf([c6150.train[1]!], c6150.test), keyOf([c6150.train[0]!], c6150.test)]);
  const views: Record<string, [string, (g: Grid) => Grid]> = {
    'Transpose()': ['Transpose()', transpose], 'Flip(0)': ['Flip(0)', flipRows], 'Flip(1)': ['Flip(1)', flipColumns],
    'Rotate(90)': ['Rotate(270)', rotate90], 'Rotate(180)': ['Rotate(180)', rotate180],
  };
  assert.deepEqual(q.filter((x) => x.view !== 'identity').map((x) => x.view), Object.keys(views));
  for (const x of q.filter((v) => v.view !== 'identity')) {
    const [inverter, f] = views[x.view]!;
    assert.equal(x.inverter, inverter);
    const undone = {
      demonstrations: x.task.demonstrations.map((d) => ({ input: undo(x.view, d.input), output: undo(x.view, d.output) })),
      test: { input: undo(x.view, x.task.test.input), output: undo(x.view, x.task.test.output) },
    };
    assert.ok(identity.some((i) => taskKey(i.task) === taskKey(undone)), `${x.view} is applied to every grid of a leave-one-out query`);
    assert.deepEqual(x.task.test.input, f(c6150.test.input));
  }
  // N = 5: five leave-one-out tasks of four demonstrations, each in ≤ 3 distinct orders, all distinct; ≤ 5 views.
  const c5 = context('6e02f1e3-0');
  const q5 = buildQueries(c5.train, c5.test);
  const id5 = q5.filter((x) => x.view === 'identity');
  assert.equal(new Set(q5.map((x) => taskKey(x.task))).size, q5.length);
  assert.ok(id5.length <= 15 && q5.length - id5.length <= 5);
  for (let left = 0; left < 5; left++) {
    const rest = c5.train.filter((_, i) => i !== left);
    const orders = id5.filter((x) => x.task.demonstrations.every((d) => rest.includes(d)));
    assert.ok(orders.some((x) => taskKey(x.task) === keyOf(rest, c5.test)), `pair ${left} left out, the rest in order`);
    assert.ok(orders.every((x) => x.task.test === c5.test && new Set(x.task.demonstrations).size === 4));
  }
  assert.ok(id5.length > 5, 'random re-orderings were added');
  // Same seed, same queries; nothing fits with one pair left out → two left out as well (§6.2 step 3).
  assert.deepEqual(buildQueries(c5.train, c5.test).map((x) => taskKey(x.task)), q5.map((x) => taskKey(x.task)));
  const retry = buildQueries(c5.train, c5.test, { fits: (t) => t.demonstrations.length <= 3 });
  assert.ok(retry.length > 0 && retry.every((x) => x.task.demonstrations.length === 3));
});

/** The inverse of a view, for checking the queries independently of augment.ts. */
function undo(view: string, g: Grid): Grid {
  return ({ 'Transpose()': transpose, 'Flip(0)': flipRows, 'Flip(1)': flipColumns, 'Rotate(90)': rotate270, 'Rotate(180)': rotate180 })[view]!(g);
}

// ---- Inversion and voting (§6.3–§6.5) -------------------------------------------------------------

const scripted = (f: (q: ArcQuery) => string): Answerer => (queries) => queries.map((q) => ({ text: f(q), tokens: 5 }));

test('a model answering every view correctly: each answer maps back to the true output and the vote returns it', async () => {
  for (const c of [c6150, context('6e02f1e3-0'), context('44f52bb0-1')]) {
    const p = await solveTestInput(c.train, c.test, scripted((q) => exampleAnswer(q.task.test.output)));
    assert.ok(p.views.length >= 7);
    assert.ok(p.views.every((v) => v.correct), c.id);
    assert.deepEqual(p.attempts[0], c.test.output);
    assert.equal(p.success, true);
    assert.equal(p.invalid, 0);
    assert.equal(p.tokensGenerated, 5 * p.views.length);
  }
});

test('answers in the original frame whatever the view are inverted (and so wrong) in the rotated views', async () => {
  // 6150a2bd's test output is not symmetric: no view maps it to itself.
  const truth = c6150.test.output;
  const p = await solveTestInput(c6150.train, c6150.test, scripted(() => exampleAnswer(truth)));
  for (const v of p.views) {
    assert.deepEqual(v.grid, truth);
    if (v.view === 'identity') assert.deepEqual(v.output, truth);
    else assert.deepEqual(v.output, undo(v.view, truth), v.view);
    assert.equal(v.correct, v.view === 'identity');
  }
  // Identity answers (2 of 7) still win the vote over five different wrong grids.
  assert.deepEqual(p.attempts[0], truth);
  assert.equal(p.success, true);
});

test('unparsable answers get no vote: all invalid → no attempts, no success; one valid answer decides', async () => {
  const garbage = await solveTestInput(c6150.train, c6150.test, scripted(() => 'I think it is [[1 2] [3'));
  assert.equal(garbage.invalid, garbage.views.length);
  assert.deepEqual(garbage.attempts, [null, null]);
  assert.equal(garbage.success, false);
  assert.ok(garbage.views.every((v) => v.grid === null && v.output === null && !v.correct));
  const wrong: Grid = [[1, 2], [3, 4]];
  const one = await solveTestInput(c6150.train, c6150.test, scripted((q) => (q.view === 'Rotate(90)' ? `${exampleAnswer(rotate90(wrong))}` : '???')));
  assert.equal(one.invalid, one.views.length - 1);
  assert.deepEqual(one.attempts, [wrong, wrong], 'inverted by Rotate(270); a single distinct grid fills both attempts');
  assert.equal(one.success, false);
});

const A: Grid = [[1, 1]];
const B: Grid = [[2, 2]];
const C: Grid = [[3, 3]];
const preds = (inverter: string, ...grids: Grid[]) => grids.map((output) => ({ inverter, output }));

// Every expected value below is what the official voting functions (§6.4) return under CPython 3.11
// with a stable argsort, as the spec states it (checked against 1,500 random cases while writing this).

test('tie-breaking follows CPython\'s set order (unsalted int-tuple hashes), not the order the predictions came in', () => {
  // CPython's hashes: hash(((1, 1),)), hash((1, 2, 3)), hash(()), hash(((1, 2), (3, 4))).
  assert.equal(pyGridHash(A), 7122689666895196842n);
  assert.equal(pyTupleHash([1n, 2n, 3n]), 529344067295497451n);
  assert.equal(pyTupleHash([]), 5740354900026072187n);
  assert.equal(pyGridHash([[1, 2], [3, 4]]), BigInt.asUintN(64, -1467267874458550984n));
  const order = (grids: Grid[]) => pySetOrder(grids, gridKey, pyGridHash).map((e) => [e.item, e.count]);
  // list(set([A, B, C])) is [A, C, B] whatever the insertion order...
  assert.deepEqual(order([A, B, C]), [[A, 1], [C, 1], [B, 1]]);
  assert.deepEqual(order([C, B, B, A]), [[A, 1], [C, 1], [B, 2]]);
  // ...unless two hashes collide: then the first inserted takes the slot.
  const X: Grid = [[0, 0]];
  const Y: Grid = [[1, 9]];
  assert.deepEqual(order([X, Y]), [[Y, 1], [X, 1]]);
  assert.deepEqual(order([Y, X]), [[X, 1], [Y, 1]]);
  // At 5 distinct items the table grows (8 → 32 slots) and is re-filled in slot order.
  const ten = Array.from({ length: 10 }, (_, i): Grid => [[i, 9 - i]]);
  assert.deepEqual(order(ten).map(([g]) => (g as Grid)[0]![0]), [4, 2, 1, 6, 8, 9, 3, 0, 5, 7]);
  // The spec's A, A, B, B: (A, A) whatever the input order (first-seen order would give B, B here).
  assert.deepEqual(vote(preds('identity', A, A, B, B)), [A, A]);
  assert.deepEqual(vote(preds('identity', B, B, A, A)), [A, A]);
  // Three grids once each: the official `all` list is the groups concatenated in order of first
  // appearance (6, 0 0, 4), and with 6 and 0 0 colliding that order picks the first attempt.
  assert.deepEqual(vote([...preds('Transpose()', [[6]]), ...preds('identity', [[4]]), ...preds('Transpose()', [[0, 0]])]), [[[6]], [[4]]]);
});

test('vote (§6.4): a 2–2 tie returns the first grid twice; majorities across groups; the identity group breaks C2/C3 ties', () => {
  assert.deepEqual(vote(preds('identity', A, A, B, B)), [A, A], 'the spec\'s A, A, B, B example loses B');
  assert.deepEqual(vote([...preds('identity', A, B), ...preds('Transpose()', B), ...preds('Rotate(270)', B)]), [B, A]);
  // A×3, B×2, C×2: set order A, C, B; the stable ascending sort of the counts (C, B, A) puts B
  // second and C third.
  assert.deepEqual(topThree([A, A, A, B, B, C, C]), [A, B, C]);
  // Each group's top-3 is (A, B, C), so the candidates all tie (2 each): C1 = A, C2 = C, C3 = the
  // column majority A; C2 and C3 tie and the identity group holds C (2) no more often than A (3),
  // so C2 becomes A...
  assert.deepEqual(vote(preds('identity', A, A, A, B, B, C, C)), [A, A]);
  // ...and without an identity group the rule is skipped (the official code's caught KeyError).
  assert.deepEqual(vote(preds('Transpose()', A, A, A, B, B, C, C)), [A, C]);
  // B and C tie as second and third candidate (once each): the identity group's choice wins.
  assert.deepEqual(vote([...preds('identity', A, C), ...preds('Flip(0)', A, B)]), [A, C]);
  assert.deepEqual(vote([...preds('identity', A, B), ...preds('Flip(0)', A, C)]), [A, B]);
  assert.deepEqual(vote([]), [null, null]);
});

test('row and column majorities vote cell rows and columns of the most common shape', () => {
  const grids: Grid[] = [[[1, 2], [3, 4]], [[1, 2], [5, 6]], [[7, 8], [5, 6]], [[9, 9, 9]]];
  assert.deepEqual(rowMajority(grids), [[1, 2], [5, 6]]);
  assert.deepEqual(columnMajority([[[1, 2], [3, 4]], [[1, 9], [3, 9]], [[8, 2], [8, 4]]]), [[1, 2], [3, 4]]);
  // Equal counts: the first row in set order wins, whichever came first.
  assert.deepEqual(rowMajority([[[1]], [[2]]]), [[1]]);
  assert.deepEqual(rowMajority([[[2]], [[1]]]), [[1]]);
  // P, P, Q, R, R (set order P, Q, R): the stable ascending sort ranks R above P, so "second" is P
  // itself and is replaced by the row majority Q; the third (Q) then falls to the column majority,
  // whose tied columns go by set order to a grid nobody predicted. R is lost.
  const [P, Q, R]: Grid[] = [[[1, 2], [3, 4]], [[1, 2], [5, 6]], [[7, 8], [5, 6]]];
  assert.deepEqual(topThree([P, P, Q, R, R]), [P, Q, [[7, 2], [5, 4]]]);
});

// ---- The SealTask ---------------------------------------------------------------------------------

test('selfEditPrompt: the spec\'s verbatim Llama-3 text for a Llama-3 vocabulary, the policy\'s chat template otherwise', () => {
  assert.equal(new ArcTask({ tokenizer: llama3 }).selfEditPrompt(c6150), llama3SelfEditPrompt(c6150.train));
  const chatml = new ArcTask({ tokenizer: tinyTokenizer }).selfEditPrompt(c6150);
  assert.ok(chatml.startsWith('<|im_start|>system\nYou are a helpful assistant that provide the correct output'));
  assert.ok(chatml.endsWith('}\n<|im_end|>\n<|im_start|>assistant\n'));
  assert.ok(!chatml.includes('6 3 5'), 'the test input is not shown');
});

test('unusable self-edits: plan says why, innerLoop records reward 0 without training or evaluating', async () => {
  const task = new ArcTask({ tokenizer: tinyTokenizer });
  let evaluated = 0;
  const counting = Object.assign(Object.create(task) as ArcTask, { evaluate: async () => { evaluated++; return { reward: 1, details: null, tokensGenerated: 0 }; } });
  for (const [selfEdit, reason] of [
    ['Sure! I would rotate the grids.', /no JSON object/],
    [selfEditText(config(['basic'], 'train_using_all_tokens', 1e-4, 8)), /over the 375-step budget/],
  ] as const) {
    const plan = task.plan(c6150, selfEdit, runDefaults);
    assert.equal(plan.ok, false);
    assert.match((plan as { reason: string }).reason, reason);
    const r = await innerLoop(tiny, counting, c6150, selfEdit, runDefaults, 1);
    assert.equal(r.reward, 0);
    assert.match(r.invalid!, reason);
    assert.equal(r.trainSteps, 0);
    assert.equal(r.evaluation, null);
  }
  assert.equal(evaluated, 0);
});

test('evaluate on a small model end to end: reward 0 or 1 from pass@2, details with views and attempts', async () => {
  const task = new ArcTask({ tokenizer: tinyTokenizer, maxAnswerTokens: 6 });
  const e = await task.evaluate(tiny, c6150);
  const d = e.details as ArcEvaluationDetails;
  assert.ok(e.reward === 0 || e.reward === 1);
  assert.equal(e.reward, d.success ? 1 : 0);
  assert.equal(d.config, null, 'nothing was planned: the base model');
  assert.equal(d.views.length, 7);
  assert.equal(d.invalid, d.views.filter((v) => v.grid === null).length);
  assert.ok(e.tokensGenerated > 0 && e.tokensGenerated <= 7 * 6);
  assert.equal(d.success, d.attempts.some((a) => a !== null && JSON.stringify(a) === JSON.stringify(c6150.test.output)));
});

test('innerLoop with a usable self-edit: trains ceil(rows / 2) × epochs steps, evaluates, logs the configuration', async () => {
  const task = new ArcTask({ tokenizer: tinyTokenizer, maxAnswerTokens: 4 });
  const cfg = config([], 'train_using_output_tokens', 1e-3, 2);
  const r = await innerLoop(tiny, task, c6150, selfEditText(cfg), runDefaults, 3);
  assert.equal(r.invalid, undefined);
  assert.equal(r.trainSteps, 2 * 2, '4 rows at batch 2, 2 epochs');
  assert.ok(r.finalLoss !== null && Number.isFinite(r.finalLoss));
  assert.deepEqual(r.note, { config: cfg, groups: [], augmenters: 0, examples: 4, droppedTooLong: 0, steps: 4 });
  assert.equal(r.settings!.completionOnly, true);
  assert.equal(r.settings!.lr, 1e-3);
  const d = r.evaluation!.details as ArcEvaluationDetails;
  assert.deepEqual(d.config, cfg);
  assert.ok(r.reward === 0 || r.reward === 1);
  // The configuration is reported once: a later evaluation of the un-updated model has none.
  assert.equal(((await task.evaluate(tiny, c6150)).details as ArcEvaluationDetails).config, null);
});

test('TTT follows §5\'s schedule (HF Trainer: 11 warmup steps from 0, then a half cosine to 0); an inner loop without one stays linear', async () => {
  const lr = 1e-3;
  const task = new ArcTask({ tokenizer: tinyTokenizer, maxAnswerTokens: 2, maxTttExamples: 30 });
  const cfg = config(['basic'], 'train_using_all_tokens', lr, 2);
  const lrs: number[] = [];
  const r = await innerLoop(tiny, task, c6150, selfEditText(cfg), runDefaults, 5, { onStep: (s) => lrs.push(s.lr) });
  assert.equal(r.invalid, undefined);
  assert.deepEqual([r.settings!.lr, (r.settings as TttSettings).schedule, (r.settings as TttSettings).warmup], [lr, 'cosine', 11]);
  // 30 TTT examples at batch 2 for 2 epochs: 30 optimizer steps, step s at lr·s/11 while s < 11,
  // then lr·(1 + cos(π·(s − 11)/19))/2 (HF's get_cosine_schedule_with_warmup).
  assert.equal(lrs.length, 30);
  const expected = lrs.map((_, s) => (s < 11 ? (lr * s) / 11 : (lr * (1 + Math.cos((Math.PI * (s - 11)) / 19))) / 2));
  lrs.forEach((x, s) => assert.ok(Math.abs(x - expected[s]!) < 1e-15, `step ${s + 1}: lr ${x}, expected ${expected[s]}`));
  assert.equal(lrs[0], 0, 'the first update of a warmed-up HF schedule has lr 0');
  assert.equal(Math.max(...lrs), lrs[11], 'the peak is the self-edit\'s lr, right after warmup');
  assert.equal(lrs[11], lr);
  // Defaults without a schedule still get §5's; a run's config may set another.
  const { schedule: _s, warmup: _w, ...bare } = runDefaults as TttSettings;
  const plain = task.plan(c6150, selfEditText(cfg), bare);
  ok(plain);
  assert.deepEqual([(plain.settings as TttSettings).schedule, (plain.settings as TttSettings).warmup], ['cosine', 11]);
  const linearArc = task.plan(c6150, selfEditText(cfg), { ...runDefaults, schedule: 'linear', warmup: 0 } as TttSettings);
  ok(linearArc);
  assert.deepEqual([(linearArc.settings as TttSettings).schedule, (linearArc.settings as TttSettings).warmup], ['linear', 0]);
  // Any other task's inner loop (settings without a schedule, as knowledge incorporation's): linear
  // decay from the full lr, no warmup, as before.
  const rows = plain.rows;
  const knowledgeLike: SealTask<ArcContext> = {
    name: 'plain', contextId: (c) => c.id, selfEditPrompt: () => '',
    plan: (_c, _e, defaults) => ({ ok: true, rows, settings: defaults }),
    evaluate: async () => ({ reward: 0, details: null, tokensGenerated: 0 }),
  };
  const linear: number[] = [];
  await innerLoop(tiny, knowledgeLike, c6150, '', { ...bare, lr, epochs: 1 }, 5, { onStep: (s) => linear.push(s.lr) });
  assert.equal(linear.length, 15);
  linear.forEach((x, s) => assert.ok(Math.abs(x - (lr * (15 - s)) / 15) < 1e-15, `step ${s + 1}: lr ${x}`));
});

