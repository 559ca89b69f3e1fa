// The outer loop, ReST-EM (rejection sampling + SFT): for each context sample k self-edits, score
// each by inner loops, keep the best when it earned reward, finetune the policy on the kept
// (prompt → self-edit) pairs with LoRA, merge, and repeat with the merged model. Every finished
// piece is logged in the run directory, so a killed run resumes where it stopped.
import type { LoadedModel } from '../model/load.js';
import { loadModel } from '../model/load.js';
import { saveModel } from '../model/save.js';
import { LoraAdapter, type LoraTarget } from '../lora/lora.js';
import { tokenizeRow } from '../train/data.js';
import { train } from '../train/trainer.js';
import { hashString } from '../util/random.js';
import { innerLoop, sampleSelfEdits, type InnerResult, type SamplingConfig } from './inner.js';
import type { InnerLoopPool } from './pool.js';
import type { RunDir } from './run.js';
import type { InnerTrainSettings, SealTask } from './task.js';

export interface SftConfig {
  rank: number;
  alpha: number;
  dropout: number;
  targets: string[];
  lr: number;
  epochs: number;
  batchSize: number;
  gradAccum: number;
}

export interface RestEmConfig {
  rounds: number;
  samplesPerContext: number;
  /** Inner loops per self-edit; its reward is their mean (the paper: 3). */
  evalRepeats: number;
  /** 'beat-baseline' keeps the best self-edit only if it beats the no-update reward by > margin; 'top1' always keeps it (official code). */
  keep: 'beat-baseline' | 'top1';
  margin: number;
  /**
   * Score self-edits by an inner loop on the self-edit alone (the paper's trains on the context
   * too). A small model's reward on passage + self-edit is mostly the passage's and the inner
   * loop's noise; alone, a self-edit is scored by what it teaches. Evaluation is unchanged.
   */
  rewardWithoutContext?: boolean;
  sampling: SamplingConfig;
  inner: InnerTrainSettings;
  sft: SftConfig;
  seed: number;
}

export interface InnerLogEntry {
  key: string;
  context: string;
  selfEdit: string;
  reward: number;
  /** The evaluation's rank score when the task ranks by something other than the reward. */
  rank?: number;
  invalid?: string;
  tokensTrained: number;
  tokensGenerated: number;
  trainSteps: number;
  /** Training loss of the inner loop's last step (null when it did not train). */
  finalLoss?: number | null;
  seconds: number;
  details: unknown;
  settings?: InnerTrainSettings;
  note?: Record<string, unknown>;
}

export interface Progress {
  /** Called after every inner loop with the running mean reward. */
  (event: { phase: string; done: number; total: number; meanReward: number }): void;
}

/** A deterministic seed for one unit of work. */
export function unitSeed(seed: number, key: string): number {
  return (hashString(key) ^ Math.imul(seed + 1, 0x9e3779b1)) >>> 0;
}

function innerLogEntry<C>(task: SealTask<C>, context: C, selfEdit: string, r: InnerResult, tokensGenerated: number): Omit<InnerLogEntry, 'key'> {
  return {
    context: task.contextId(context), selfEdit, reward: r.reward, rank: r.evaluation?.rank, invalid: r.invalid, tokensTrained: r.tokensTrained,
    tokensGenerated: tokensGenerated + (r.evaluation?.tokensGenerated ?? 0), trainSteps: r.trainSteps, finalLoss: r.finalLoss,
    seconds: r.seconds, details: r.evaluation?.details ?? null, settings: r.settings, note: r.note,
  };
}

/** One logged inner loop (computed unless the log already has it). */
export async function loggedInnerLoop<C>(
  run: RunDir, key: string, base: LoadedModel, task: SealTask<C>, context: C, selfEdit: string,
  defaults: InnerTrainSettings, seed: number, tokensGenerated = 0,
): Promise<InnerLogEntry> {
  return run.once<InnerLogEntry>(key, async () => {
    const r: InnerResult = await innerLoop(base, task, context, selfEdit, defaults, unitSeed(seed, key));
    return innerLogEntry(task, context, selfEdit, r, tokensGenerated);
  });
}

export interface InnerJobSpec<C> {
  key: string;
  context: C;
  selfEdit: string;
  tokensGenerated?: number;
}

/**
 * Several logged inner loops: in this process one after another, or side by side on a pool's
 * workers (each logged as it finishes; the entries are the same either way). Returns them in the
 * order of `jobs`; `onDone` is called as each is logged or found in the log.
 */
export async function loggedInnerLoops<C>(
  run: RunDir, jobs: InnerJobSpec<C>[], base: LoadedModel, task: SealTask<C>, defaults: InnerTrainSettings, seed: number,
  pool?: InnerLoopPool, onDone?: (entry: InnerLogEntry) => void,
): Promise<InnerLogEntry[]> {
  if (!pool) {
    const out: InnerLogEntry[] = [];
    for (const j of jobs) {
      const entry = await loggedInnerLoop(run, j.key, base, task, j.context, j.selfEdit, defaults, seed, j.tokensGenerated);
      onDone?.(entry);
      out.push(entry);
    }
    return out;
  }
  return Promise.all(jobs.map(async (j) => {
    const entry = await run.once<InnerLogEntry>(j.key, async () => {
      const r = await pool.run({ context: j.context, selfEdit: j.selfEdit, settings: defaults, seed: unitSeed(seed, j.key) });
      return innerLogEntry(task, j.context, j.selfEdit, r, j.tokensGenerated ?? 0);
    });
    onDone?.(entry);
    return entry;
  }));
}

/** The no-update reward of the model on a context (logged). */
export async function loggedBaseline<C>(run: RunDir, key: string, model: LoadedModel, task: SealTask<C>, context: C): Promise<number> {
  return (await loggedBaselineEntry(run, key, model, task, context)).reward;
}

async function loggedBaselineEntry<C>(run: RunDir, key: string, model: LoadedModel, task: SealTask<C>, context: C) {
  return run.once<{ key: string; reward: number; rank?: number; details: unknown; seconds: number }>(key, async () => {
    const t0 = performance.now();
    const e = await task.evaluate(model, context);
    return { context: task.contextId(context), reward: e.reward, rank: e.rank, details: e.details, seconds: (performance.now() - t0) / 1000 };
  });
}

/**
 * k self-edits per context from the policy, generated together and logged as one entry (so a
 * resume reuses exactly them: a batch cut short by a kill is regenerated whole, never in part).
 */
export async function loggedSamples<C>(
  run: RunDir, key: string, policy: LoadedModel, task: SealTask<C>, contexts: C[], k: number, sampling: SamplingConfig, seed: number,
): Promise<{ text: string; tokens: number }[][]> {
  const entry = await run.once<{ key: string; samples: Record<string, { text: string; tokens: number }[]> }>(key, () => {
    const samples = sampleSelfEdits(policy, task, contexts, k, sampling, unitSeed(seed, key));
    return { samples: Object.fromEntries(contexts.map((c, i) => [task.contextId(c), samples[i]!])) };
  });
  return contexts.map((c) => {
    const s = entry.samples[task.contextId(c)];
    if (!s) throw new Error(`${run.logPath}: entry '${key}' has no samples for ${task.contextId(c)}; the data changed under this run`);
    return s;
  });
}

export interface RoundResult {
  round: number;
  kept: { context: string; prompt: string; completion: string; reward: number; baseline: number }[];
  meanReward: number;
  meanBaseline: number;
  checkpoint: string;
}

/**
 * One ReST-EM round with `policy` (which is also the inner loop's base). Returns the kept pairs and
 * the directory of the merged next policy (run/checkpoints/round-<r+1>). A `pool` (whose workers
 * hold the same policy) runs each context's inner loops side by side.
 */
export async function restEmRound<C>(
  run: RunDir, round: number, policy: LoadedModel, task: SealTask<C>, contexts: C[], cfg: RestEmConfig, progress?: Progress,
  pool?: InnerLoopPool,
): Promise<RoundResult> {
  const k = cfg.samplesPerContext;
  const prefix = `round${round}`;
  const kept: RoundResult['kept'] = [];
  let rewardSum = 0;
  let baselineSum = 0;
  let done = 0;
  const total = contexts.length * k * cfg.evalRepeats;
  for (const context of contexts) {
    const id = task.contextId(context);
    // Self-edits are ranked (and measured against the no-update baseline) by the rank score when
    // the task gives one, by the reward otherwise.
    const baselineEntry = await loggedBaselineEntry(run, `${prefix}/baseline/${id}`, policy, task, context);
    const baseline = baselineEntry.rank ?? baselineEntry.reward;
    const [samples] = await loggedSamples(run, `${prefix}/samples/${id}`, policy, task, [context], k, cfg.sampling, cfg.seed);
    const jobs = samples!.flatMap((sample, j) => Array.from({ length: cfg.evalRepeats }, (_, e) => ({
      key: `${prefix}/inner/${id}/${j}/${e}`, context, selfEdit: sample.text, tokensGenerated: sample.tokens,
    })));
    const inner = cfg.rewardWithoutContext ? { ...cfg.inner, selfEditOnly: true } : cfg.inner;
    const entries = await loggedInnerLoops(run, jobs, policy, task, inner, cfg.seed, pool, (entry) => {
      rewardSum += entry.reward;
      done++;
      progress?.({ phase: `round ${round + 1}`, done, total, meanReward: rewardSum / done });
    });
    let best = -1;
    let bestReward = -Infinity;
    for (let j = 0; j < k; j++) {
      const rewards = entries.slice(j * cfg.evalRepeats, (j + 1) * cfg.evalRepeats).map((e) => e.rank ?? e.reward);
      const mean = rewards.reduce((a, b) => a + b, 0) / cfg.evalRepeats;
      if (mean > bestReward) {
        bestReward = mean;
        best = j;
      }
    }
    baselineSum += baseline;
    const keep = cfg.keep === 'top1' || bestReward > baseline + cfg.margin;
    if (keep && best >= 0 && samples![best]!.text.trim() !== '') {
      kept.push({ context: id, prompt: task.selfEditPrompt(context), completion: samples![best]!.text.trim(), reward: bestReward, baseline });
    }
  }
  run.writeJson(`round-${round + 1}-kept.json`, kept);
  const checkpoint = `checkpoints/round-${round + 1}`;
  if (!run.hasDir(checkpoint)) {
    run.writeDir(checkpoint, (tmp) => {
      if (kept.length) sftAndMerge(policy, kept, cfg.sft, unitSeed(cfg.seed, `${prefix}/sft`));
      saveModel(policy.model, tmp, policy.dir);
    });
  }
  return { round, kept, meanReward: rewardSum / Math.max(1, total), meanBaseline: baselineSum / Math.max(1, contexts.length), checkpoint: run.path(checkpoint) };
}

/**
 * The policy update: LoRA SFT on (prompt → completion) with the loss on the completion (+ EOS)
 * only, then the adapter merged into the weights in place.
 */
export function sftAndMerge(policy: LoadedModel, pairs: { prompt: string; completion: string }[], sft: SftConfig, seed: number): void {
  const tokenizer = policy.tokenizer!;
  const examples = pairs.map((p) => tokenizeRow({ prompt: p.prompt, completion: p.completion }, tokenizer, { completionOnly: true }));
  const adapter = LoraAdapter.create(policy.model, { rank: sft.rank, alpha: sft.alpha, dropout: sft.dropout, targets: sft.targets as LoraTarget[] }, seed);
  adapter.attach(policy.model);
  try {
    train(policy.model, adapter.parameters(), examples, {
      lr: sft.lr, epochs: sft.epochs, batchSize: sft.batchSize, gradAccum: sft.gradAccum, optimizer: 'adamw',
      schedule: 'linear', maxGradNorm: 1, seed, padId: tokenizer.eosId ?? 0,
      beforeMicroBatch: (i) => { adapter.dropoutSeed = seed + i; },
    });
  } finally {
    LoraAdapter.detach(policy.model);
  }
  adapter.mergeInto(policy.model);
}

/** Loads round r's policy: the original model for round 0, else the merged checkpoint. */
export function policyForRound(run: RunDir, modelDir: string, round: number, dtype: 'auto' | 'f32' | 'bf16' = 'auto'): LoadedModel {
  return loadModel(round === 0 ? modelDir : run.path(`checkpoints/round-${round}`), { dtype });
}
