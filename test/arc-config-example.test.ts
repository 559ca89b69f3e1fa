// configs/arc-llama-3.2-1b.yaml, the paper's ARC run as the README documents it, read through the
// real config loader: every resolved number must be the spec's (arc.md §1, §3.2, §4.4, §5, §7, §8),
// so the documented file cannot drift from the paper or from the defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadArcConfig } from '../src/recipes/arc-config.js';
import { loadArcData, oracleConfigs, tttDefaults } from '../src/recipes/arc.js';
import type { TttSettings } from '../src/tasks/arc/ttt.js';

const file = fileURLToPath(new URL('../../configs/arc-llama-3.2-1b.yaml', import.meta.url));
const spec = readFileSync(fileURLToPath(new URL('../../../shared/spec/arc.md', import.meta.url)), 'utf8');
const cfg = loadArcConfig(file);
const ids = (text: string) => [...new Set(text.match(/\b[0-9a-f]{8}\b/g) ?? [])];
const FIVE_TARGETS = ['q_proj', 'v_proj', 'gate_proj', 'down_proj', 'up_proj'];

test('the model is a path the user edits, overridable from the command line', () => {
  assert.equal(cfg.name, 'arc-llama-3.2-1b');
  assert.match(cfg.model, /\/Llama-3\.2-1B-Instruct$/);
  assert.equal(loadArcConfig(file, { model: '/elsewhere/llama' }).model, '/elsewhere/llama');
});

test('12 training tasks × 15 self-edits (one ReST-EM round), 8 evaluation tasks × 5 self-edits: the spec\'s ids', async () => {
  // §1's filtered training set in file order, and §7 step 5's evaluation ids, read from the spec.
  const specTrain = ids(/Filtered training set, in file order[^:]*:([^.]*)\./.exec(spec)![1]!);
  const specEval = ids(/step 5 keeps ([^→]*)→ \*\*8 ids\*\*/.exec(spec)![1]!);
  assert.equal(specTrain.length, 12);
  assert.equal(specEval.length, 8);
  assert.deepEqual(cfg.data.trainIds, specTrain);
  assert.deepEqual(cfg.data.evalIds, specEval);
  assert.deepEqual([cfg.data.trainSet, cfg.data.evalSet], ['training-filtered', 'evaluation-filtered']);
  assert.deepEqual([cfg.restem.rounds, cfg.restem.samplesPerContext, cfg.eval.samplesPerContext], [1, 15, 5]);
  // §1 splitting: 44f52bb0 and b1fc8b8e have two test inputs each.
  const data = await loadArcData(cfg);
  assert.deepEqual(ids(data.train.map((c) => c.id).join(' ')), specTrain);
  assert.deepEqual(ids(data.eval.map((c) => c.id).join(' ')), specEval);
  assert.equal(data.train.length * cfg.restem.samplesPerContext, 13 * 15, 'TTT runs of the ReST-EM round');
  assert.equal(data.eval.length * cfg.eval.samplesPerContext, 9 * 5, 'TTT runs per evaluated policy');
});

test('sampling, TTT, behaviour cloning and conditions are the paper\'s', () => {
  assert.deepEqual(cfg.sampling, { temperature: 0.8, topP: 1, maxNewTokens: 128 }); // §3.2
  assert.deepEqual(
    [cfg.task.maxTokens, cfg.task.maxTttExamples, cfg.task.maxSteps, cfg.task.tttSeed, cfg.task.querySeed], [8192, 250, 375, 0, 0],
  ); // §4.4, §3.3 rule 6, §6.2
  // §5: LoRA r 128 / alpha 16 / dropout 0 on five projections, batch 2, cosine after 11 warmup steps,
  // and that is what every TTT run receives.
  const t = tttDefaults(cfg) as TttSettings;
  assert.deepEqual(
    [t.rank, t.alpha, t.dropout, t.targets, t.batchSize, t.gradAccum, t.schedule, t.warmup],
    [128, 16, 0, FIVE_TARGETS, 2, 1, 'cosine', 11],
  );
  // §7 BC-self-edit.py.
  assert.deepEqual(cfg.sft, { rank: 16, alpha: 16, dropout: 0, targets: FIVE_TARGETS, lr: 5e-5, epochs: 8, batchSize: 5, gradAccum: 1 });
  // §8: every condition; the oracle's first configuration is ttt.py's fixed one.
  assert.deepEqual(cfg.eval.conditions, ['icl', 'tttUntrainedPolicy', 'oracle', 'seal']);
  assert.deepEqual(oracleConfigs(cfg.oracle)[0], {
    augmentations: { basic: true, size: true, chain: true, repeat: true }, strategy: 'train_using_output_tokens', learningRate: 1e-4, numTrainEpochs: 2,
  });
});

test('apart from its name, model and explicit training ids, the file is the defaults (they are the paper\'s too)', () => {
  const d = loadArcConfig(null);
  assert.deepEqual({ ...cfg, name: d.name, model: d.model, data: { ...cfg.data, trainIds: d.data.trainIds } }, d);
  assert.deepEqual(d.data.trainIds, [], 'the default takes every task of the training file: the same 12');
});
