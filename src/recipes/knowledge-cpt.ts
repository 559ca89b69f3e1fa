// Continued pretraining over many passages in one update, and continual self-edits (sequential
// updates and the forgetting they cause): spec knowledge.md §8 and §9.
import { loadModel, type LoadedModel } from '../model/load.js';
import { LoraAdapter, type LoraTarget } from '../lora/lora.js';
import { tokenizeRow } from '../train/data.js';
import { train } from '../train/trainer.js';
import { RunDir } from '../seal/run.js';
import { loggedSamples, unitSeed } from '../seal/restem.js';
import { sampleSelfEdits } from '../seal/inner.js';
import { buildTrainSequences } from '../tasks/knowledge/sequences.js';
import type { Passage } from '../tasks/knowledge/data.js';
import type { KnowledgeTask } from '../tasks/knowledge/task.js';
import { seededRandom, shuffleInPlace } from '../util/random.js';
import { Progress } from '../util/progress.js';
import type { KnowledgeConfig } from './knowledge-config.js';
import { DEFAULT_MODEL_DIR, loadKnowledgeData, makeTask, teacherSelfEdits } from './knowledge.js';

/** Fine-tunes a fresh adapter on `texts` and leaves it attached (the caller evaluates, then detaches or merges). */
function updateOn(model: LoadedModel, texts: string[], cfg: KnowledgeConfig, opts: { lr: number; epochs: number; batchSize: number; gradAccum: number }, seed: number): { adapter: LoraAdapter; tokens: number; seconds: number } {
  const t0 = performance.now();
  const tokenizer = model.tokenizer!;
  const examples = texts.map((text) => tokenizeRow({ text }, tokenizer));
  const adapter = LoraAdapter.create(model.model, { rank: cfg.inner.rank, alpha: cfg.inner.alpha, dropout: cfg.inner.dropout, targets: cfg.inner.targets as LoraTarget[] }, seed);
  adapter.attach(model.model);
  const result = train(model.model, adapter.parameters(), examples, {
    lr: opts.lr, epochs: opts.epochs, batchSize: opts.batchSize, gradAccum: opts.gradAccum, optimizer: 'adamw', schedule: 'linear',
    maxGradNorm: 1, seed, padId: tokenizer.eosId ?? 0,
  });
  return { adapter, tokens: result.steps.at(-1)?.tokens ?? 0, seconds: (performance.now() - t0) / 1000 };
}

async function answersPerPassage(task: KnowledgeTask, model: LoadedModel, passages: Passage[]): Promise<{ correct: number; total: number; perPassage: number[] }> {
  let correct = 0;
  let total = 0;
  const perPassage: number[] = [];
  for (const p of passages) {
    const results = await task.answer(model, p);
    const c = results.filter((r) => r.correct).length;
    correct += c;
    total += results.length;
    perPassage.push(results.length ? c / results.length : 0);
  }
  return { correct, total, perPassage };
}

export interface CptSummary {
  mode: 'cpt';
  runDir: string;
  passages: number;
  sequences: number;
  /** Micro accuracy over every question of the n passages (as the official CPT script reports). */
  accuracy: { base: number; adapter: number; seal: number[] };
  seconds: number;
}

/** `seal knowledge cpt`: all passages' training data pooled into one LoRA update. */
export async function runCpt(cfg: KnowledgeConfig, options: { fresh?: boolean } = {}): Promise<CptSummary> {
  const start = performance.now();
  const modelDir = cfg.model || DEFAULT_MODEL_DIR;
  const run = RunDir.open(cfg.runsDir, `${cfg.name}-cpt`, { mode: 'cpt', ...cfg, model: modelDir }, options);
  const passages = loadKnowledgeData(cfg).eval.slice(0, cfg.cpt.passages);
  const model = loadModel(modelDir);
  const task = makeTask(cfg, model);
  const k = cfg.cpt.samplesPerContext;
  let selfEdits: string[][];
  if (k === 0 || cfg.cpt.source === 'none') selfEdits = passages.map(() => ['']);
  else if (cfg.cpt.source === 'teacher') selfEdits = teacherSelfEdits(cfg, passages, task).map((s) => [s]);
  else selfEdits = (await loggedSamples(run, 'cpt/samples', model, task, passages, k, cfg.sampling, cfg.seed)).map((s) => s.map((x) => x.text));
  // Each self-edit expands with the passage, without newline splitting (the official CPT setting).
  const corpus = passages.flatMap((p, i) => selfEdits[i]!.flatMap((s) => buildTrainSequences(s, p.context, p.title, cfg.cpt.splitNewlines)));
  const base = await run.once<{ key: string; correct: number; total: number }>('cpt/base', async () => {
    const r = await answersPerPassage(task, model, passages);
    return { correct: r.correct, total: r.total };
  });
  const updated = await run.once<{ key: string; correct: number; total: number; tokensTrained: number; seconds: number }>('cpt/adapter', async () => {
    const { adapter, tokens, seconds } = updateOn(model, corpus, cfg, cfg.cpt, unitSeed(cfg.seed, 'cpt'));
    const r = await answersPerPassage(task, model, passages);
    LoraAdapter.detach(model.model);
    adapter.save(run.path('adapter'), modelDir);
    return { correct: r.correct, total: r.total, tokensTrained: tokens, seconds };
  });
  const summary: CptSummary = {
    mode: 'cpt', runDir: run.dir, passages: passages.length, sequences: corpus.length,
    accuracy: { base: base.correct / Math.max(1, base.total), adapter: updated.correct / Math.max(1, updated.total), seal: [] },
    seconds: (performance.now() - start) / 1000,
  };
  run.writeJson('summary.json', summary);
  return summary;
}

export interface ContinualSummary {
  mode: 'continual';
  runDir: string;
  /** Mean over sequences: row r = after r updates, column i = passage i (row 0 = no update). */
  forgetting: number[][];
  std: number[][];
  sequences: number;
  accuracy: { seal: number[] };
  seconds: number;
}

/** `seal knowledge continual`: sequential self-edit updates, each merged before the next (§9). */
export async function runContinual(cfg: KnowledgeConfig, options: { fresh?: boolean } = {}): Promise<ContinualSummary> {
  const start = performance.now();
  const modelDir = cfg.model || DEFAULT_MODEL_DIR;
  const run = RunDir.open(cfg.runsDir, `${cfg.name}-continual`, { mode: 'continual', ...cfg, model: modelDir }, options);
  const pool = loadKnowledgeData(cfg).eval;
  const K = cfg.continual.steps;
  if (pool.length < K) throw new Error(`config: continual.steps (${K}) needs at least that many evaluation passages, have ${pool.length}`);
  const matrices: number[][][] = [];
  const progress = new Progress('continual', cfg.continual.sequences * K);
  for (let s = 0; s < cfg.continual.sequences; s++) {
    const chosen = shuffleInPlace(pool.slice(), seededRandom(unitSeed(cfg.seed, `continual/${s}`))).slice(0, K);
    const entry = await run.once<{ key: string; matrix: number[][] }>(`continual/${s}`, async () => {
      // Each sequence starts from the original model; updates are merged into it step by step.
      const model = loadModel(modelDir, { dtype: 'f32' });
      const task = makeTask(cfg, model);
      const matrix: number[][] = [(await answersPerPassage(task, model, chosen)).perPassage];
      for (let k = 0; k < K; k++) {
        const p = chosen[k]!;
        const [samples] = sampleSelfEdits(model, task, [p], 1, cfg.sampling, unitSeed(cfg.seed, `continual/${s}/${k}`));
        const selfEdit = samples![0]!.text || p.context;
        const { adapter } = updateOn(model, buildTrainSequences(selfEdit, p.context, p.title, true), cfg, cfg.inner, unitSeed(cfg.seed, `continual/${s}/${k}/train`));
        const seen = (await answersPerPassage(task, model, chosen.slice(0, k + 1))).perPassage;
        matrix.push([...seen, ...new Array(K - k - 1).fill(0)]);
        LoraAdapter.detach(model.model);
        adapter.mergeInto(model.model);
        progress.update(s * K + k + 1, `sequence ${s + 1}, step ${k + 1}`, (performance.now() - start) / 1000);
      }
      return { matrix };
    });
    matrices.push(entry.matrix);
  }
  progress.done();
  const mean = matrices[0]!.map((row, r) => row.map((_, i) => matrices.reduce((a, m) => a + m[r]![i]!, 0) / matrices.length));
  // Sample standard deviation over all sequences pooled (not an average of per-job stds; spec §12 quirk 9).
  const std = mean.map((row, r) => row.map((mu, i) => {
    if (matrices.length < 2) return 0;
    return Math.sqrt(matrices.reduce((a, m) => a + (m[r]![i]! - mu) ** 2, 0) / (matrices.length - 1));
  }));
  const summary: ContinualSummary = {
    mode: 'continual', runDir: run.dir, forgetting: mean, std, sequences: matrices.length,
    accuracy: { seal: [] }, seconds: (performance.now() - start) / 1000,
  };
  run.writeJson('summary.json', summary);
  return summary;
}
