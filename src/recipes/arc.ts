// ARC few-shot learning, end to end (spec arc.md §7, §8): load the tasks, evaluate the baselines
// (in-context learning without TTT, TTT with the untrained policy's self-edits, oracle TTT over a
// grid of configurations), run ReST-EM rounds (k self-edits per training task, every successful
// one kept, behaviour cloning of the policy) and evaluate SEAL after each, in one run directory
// that survives a kill at any moment.
import { loadModel, type LoadedModel } from '../model/load.js';
import { saveModel } from '../model/save.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { poolForWorkers, type InnerLoopPool } from '../seal/pool.js';
import { RunDir, computeTotals } from '../seal/run.js';
import {
  loggedBaseline, loggedInnerLoops, loggedSamples, policyForRound, sftAndMerge, unitSeed, type InnerLogEntry, type SftConfig,
} from '../seal/restem.js';
import type { InnerTrainSettings, SealTask } from '../seal/task.js';
import { AUGMENTER_GROUP_NAMES, type AugmenterGroupName } from '../tasks/arc/augment.js';
import { readArcSet, readArcTasks, type ArcExample, type ArcSetName, type ArcTask as ArcTaskData, type Grid } from '../tasks/arc/data.js';
import { parseSelfEdit, type ArcSelfEditConfig, type TrainingStrategy } from '../tasks/arc/self-edit.js';
import { ArcTask, arcContexts, type ArcContext, type ArcEvaluationDetails } from '../tasks/arc/task.js';
import type { TttNote } from '../tasks/arc/ttt.js';
import { DEFAULT_MODEL_DIR } from '../config/paths.js';
import { Progress } from '../util/progress.js';
import { DEFAULT_ARC_DATA_DIR, type ArcConfig } from './arc-config.js';

// ---- Data -------------------------------------------------------------------------------------

export interface ArcData {
  train: ArcContext[];
  eval: ArcContext[];
}

/** Where the synthetic mini-ARC generator lives once it exists (imported only when asked for). */
const SYNTHETIC_MODULE: string = '../tasks/arc-synthetic/index.js';

type MiniArcMaker = (options: Record<string, unknown>) => { train: ArcTaskData[]; eval: ArcTaskData[] };

async function makeSyntheticArc(options: Record<string, unknown>): Promise<{ train: ArcTaskData[]; eval: ArcTaskData[] }> {
  let module: { makeMiniArc?: MiniArcMaker };
  try {
    module = (await import(SYNTHETIC_MODULE)) as { makeMiniArc?: MiniArcMaker };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new Error("config: field 'data.synthetic' needs the synthetic mini-ARC generator (src/tasks/arc-synthetic/index.ts), which this build does not have");
  }
  if (typeof module.makeMiniArc !== 'function') throw new Error(`${SYNTHETIC_MODULE}: exports no makeMiniArc(options)`);
  return module.makeMiniArc(options);
}

/** The tasks with these ids, in this order ([] = all), or an error naming the config field. */
function pickIds(tasks: ArcTaskData[], ids: readonly string[], field: string, source: string): ArcTaskData[] {
  if (ids.length === 0) return tasks;
  const byId = new Map(tasks.map((t) => [t.id, t]));
  return ids.map((id) => {
    const t = byId.get(id);
    if (!t) throw new Error(`config: field '${field}' names task ${id}, which is not in ${source}`);
    return t;
  });
}

/** Training and evaluation contexts (one per test input, §1) from files or the synthetic generator. */
export async function loadArcData(cfg: ArcConfig): Promise<ArcData> {
  const d = cfg.data;
  if (d.synthetic) {
    const made = await makeSyntheticArc(d.synthetic);
    return { train: arcContexts(made.train), eval: arcContexts(made.eval) };
  }
  const read = (split: 'train' | 'eval'): ArcTaskData[] => {
    const challenges = d[`${split}Challenges`];
    const dir = d.dir || DEFAULT_ARC_DATA_DIR;
    const set = d[`${split}Set`] as ArcSetName;
    const tasks = challenges ? readArcTasks(challenges, d[`${split}Solutions`]) : readArcSet(dir, set);
    return pickIds(tasks, d[`${split}Ids`], `data.${split}Ids`, challenges || `the ${set} set in ${dir}`);
  };
  return { train: arcContexts(read('train')), eval: arcContexts(read('eval')) };
}

// ---- Pieces of the recipe ------------------------------------------------------------------------

export function makeArcTask(cfg: Pick<ArcConfig, 'task'>, tokenizer: Tokenizer): ArcTask {
  const t = cfg.task;
  return new ArcTask({
    tokenizer, maxTokens: t.maxTokens, maxTttExamples: t.maxTttExamples, maxSteps: t.maxSteps, tttSeed: t.tttSeed, querySeed: t.querySeed,
    maxAnswerTokens: t.maxAnswerTokens || undefined, answerStop: t.answerStop.length ? [...t.answerStop] : undefined,
  });
}

/** Rebuilds the ARC task in an inner-loop worker (pool.ts) from the config's task field. */
export function arcTaskForWorker(options: Pick<ArcConfig, 'task'>, base: LoadedModel): ArcTask {
  if (!base.tokenizer) throw new Error(`${base.dir}: ARC needs the model's tokenizer (no tokenizer.json)`);
  return makeArcTask(options, base.tokenizer);
}

/** A pool of cfg.workers TTT workers holding the model in `modelDir` (0 = one per core), or none when that is 1. */
export function tttPool(cfg: ArcConfig, modelDir: string): InnerLoopPool | undefined {
  return poolForWorkers(cfg.workers, modelDir, { module: import.meta.url, name: 'arcTaskForWorker', options: { task: cfg.task } });
}

export function tttDefaults(cfg: ArcConfig): InnerTrainSettings {
  return { ...cfg.ttt, targets: [...cfg.ttt.targets] };
}

export function sftConfig(cfg: ArcConfig): SftConfig {
  return { ...cfg.sft, targets: [...cfg.sft.targets] };
}

/** A configuration written as the policy should write it (§3.3's JSON shape). */
export function selfEditText(config: ArcSelfEditConfig): string {
  const dataGeneration = Object.fromEntries(AUGMENTER_GROUP_NAMES.map((g) => [`use_${g}_augmentations`, config.augmentations[g]]));
  return JSON.stringify({
    data_generation: dataGeneration,
    training: { strategy: config.strategy, learning_rate: config.learningRate, num_train_epochs: config.numTrainEpochs },
  });
}

/**
 * The oracle's grid: every subset of the groups (largest first) × strategies × learning rates ×
 * epochs, in the config's order. With the defaults the first one is the paper's fixed ttt.py
 * configuration (all groups, output-token loss, lr 1e-4, 2 epochs).
 */
export function oracleConfigs(o: ArcConfig['oracle']): ArcSelfEditConfig[] {
  const groups = AUGMENTER_GROUP_NAMES.filter((g) => o.groups.includes(g));
  const subsets: AugmenterGroupName[][] = [];
  for (let mask = 0; mask < 1 << groups.length; mask++) subsets.push(groups.filter((_, i) => mask & (1 << i)));
  subsets.sort((a, b) => b.length - a.length);
  return subsets.flatMap((subset) => o.strategies.flatMap((strategy) => o.learningRates.flatMap((learningRate) => o.epochs.map((numTrainEpochs) => ({
    augmentations: Object.fromEntries(AUGMENTER_GROUP_NAMES.map((g) => [g, subset.includes(g)])) as Record<AugmenterGroupName, boolean>,
    strategy: strategy as TrainingStrategy, learningRate, numTrainEpochs,
  })))));
}

/** One self-edit's fate, for the summary and the report. */
export interface SelfEditOutcome {
  selfEdit: string;
  /** The configuration it parsed to (also when over the step budget); null when unparsable. */
  config: ArcSelfEditConfig | null;
  /** Why it was not used (the format failures); absent when TTT ran. */
  unusable?: string;
  success: boolean;
  /** The two voted attempts of the updated model; null when it was not trained. */
  attempts: [Grid | null, Grid | null] | null;
  tttExamples?: number;
  trainSteps: number;
}

export function outcomeOf(entry: InnerLogEntry): SelfEditOutcome {
  const parsed = parseSelfEdit(entry.selfEdit);
  const details = entry.details as ArcEvaluationDetails | null;
  const note = entry.note as TttNote | undefined;
  return {
    selfEdit: entry.selfEdit, config: parsed.ok ? parsed.config : null, ...(entry.invalid ? { unusable: entry.invalid } : {}),
    success: entry.reward >= 1, attempts: details?.attempts ?? null, tttExamples: note?.examples, trainSteps: entry.trainSteps,
  };
}

export interface TrialStats {
  trials: number;
  successes: number;
  unusable: number;
  successRate: number;
  formatFailureRate: number;
}

export function trialStats(outcomes: readonly SelfEditOutcome[]): TrialStats {
  const trials = outcomes.length;
  const successes = outcomes.filter((o) => o.success).length;
  const unusable = outcomes.filter((o) => o.unusable !== undefined).length;
  return { trials, successes, unusable, successRate: successes / Math.max(1, trials), formatFailureRate: unusable / Math.max(1, trials) };
}

interface TrialKeys {
  samples: (id: string) => string;
  inner: (id: string, j: number) => string;
}

/**
 * k self-edits per context sampled from `model`, each used for TTT over `model` and scored (all
 * logged): the outcomes per context. Used for the untrained policy, the ReST-EM rounds and SEAL.
 */
async function selfEditTrials(
  run: RunDir, keys: TrialKeys, model: LoadedModel, task: SealTask<ArcContext>, contexts: readonly ArcContext[], k: number,
  cfg: ArcConfig, label: string, pool?: InnerLoopPool,
): Promise<SelfEditOutcome[][]> {
  const bar = new Progress(label, contexts.length * k);
  const t0 = performance.now();
  const all: SelfEditOutcome[][] = [];
  let successes = 0;
  let done = 0;
  for (const c of contexts) {
    const [samples] = await loggedSamples(run, keys.samples(c.id), model, task, [c], k, cfg.sampling, cfg.seed);
    // A context's k TTT runs go side by side when there is a pool; each is logged under its own
    // key with its own seed, so the entries are the same either way.
    const jobs = samples!.map((s, j) => ({ key: keys.inner(c.id, j), context: c, selfEdit: s.text, tokensGenerated: s.tokens }));
    const entries = await loggedInnerLoops(run, jobs, model, task, tttDefaults(cfg), cfg.seed, pool, (entry) => {
      if (entry.reward >= 1) successes++;
      bar.update(++done, `solved ${successes}/${done}`, (performance.now() - t0) / 1000);
    });
    all.push(entries.map(outcomeOf));
  }
  bar.done();
  return all;
}

export interface RoundReport extends TrialStats {
  round: number;
  /** Successful self-edits the policy was trained on. */
  kept: number;
  checkpoint: string;
}

/**
 * One ReST-EM round (§7): k self-edits per training context from `policy`, each scored by TTT
 * over `policy`; every self-edit with reward 1 is kept (all of them, not one per task), the policy
 * is finetuned on (self-edit prompt → self-edit) with the loss on the self-edit only, merged and
 * saved as run/checkpoints/round-<r+1>. Mutates `policy`'s weights when anything was kept.
 */
export async function arcRestEmRound(
  run: RunDir, round: number, policy: LoadedModel, task: SealTask<ArcContext>, contexts: readonly ArcContext[], cfg: ArcConfig,
  pool?: InnerLoopPool,
): Promise<{ report: RoundReport; outcomes: SelfEditOutcome[][] }> {
  const outcomes = await selfEditTrials(run, {
    samples: (id) => `round${round}/samples/${id}`, inner: (id, j) => `round${round}/inner/${id}/${j}`,
  }, policy, task, contexts, cfg.restem.samplesPerContext, cfg, `ReST-EM round ${round + 1}`, pool);
  const kept = contexts.flatMap((c, i) => outcomes[i]!
    .filter((o) => o.success && o.selfEdit.trim() !== '')
    .map((o) => ({ context: c.id, prompt: task.selfEditPrompt(c), completion: o.selfEdit.trim() })));
  run.writeJson(`round-${round + 1}-kept.json`, kept);
  const checkpoint = `checkpoints/round-${round + 1}`;
  if (!run.hasDir(checkpoint)) {
    run.writeDir(checkpoint, (tmp) => {
      if (kept.length) sftAndMerge(policy, kept, sftConfig(cfg), unitSeed(cfg.seed, `round${round}/sft`));
      saveModel(policy.model, tmp, policy.dir);
    });
  }
  return { report: { round: round + 1, ...trialStats(outcomes.flat()), kept: kept.length, checkpoint: run.path(checkpoint) }, outcomes };
}

// ---- The run ------------------------------------------------------------------------------------

/** What the report shows of one evaluation context. */
export interface ArcTaskReport {
  id: string;
  train: ArcExample[];
  test: ArcExample;
  icl?: { success: boolean; attempts: [Grid | null, Grid | null] };
  tttUntrainedPolicy?: SelfEditOutcome[];
  /** Configurations tried in order (up to the first success when stopAtFirstSuccess). */
  oracle?: { success: boolean; tried: SelfEditOutcome[] };
  /** Per ReST-EM round, the SEAL policy's self-edits. */
  seal: SelfEditOutcome[][];
}

export type TrialCount = Pick<TrialStats, 'trials' | 'successes' | 'unusable'>;

export interface ArcSummary {
  kind: 'arc';
  mode: string;
  runDir: string;
  /** Solved (context, self-edit) pairs ÷ pairs; ICL and oracle: solved contexts ÷ contexts. */
  successRate: { icl?: number; tttUntrainedPolicy?: number; seal: number[]; oracle?: number };
  /** Unusable self-edits ÷ self-edits sampled. */
  formatFailureRate: { tttUntrainedPolicy?: number; seal: number[]; training: number[] };
  /** The numbers behind the rates. */
  counts: { icl?: TrialCount; tttUntrainedPolicy?: TrialCount; oracle?: TrialCount; seal: TrialCount[] };
  rounds: RoundReport[];
  oracleConfigurations: number;
  tasks: ArcTaskReport[];
  trainTasks: { id: string; train: ArcExample[]; test: ArcExample; successes: number[]; trials: number[] }[];
  compute: { innerLoops: number; tokensTrained: number; tokensGenerated: number; innerSeconds: number };
  seconds: number;
}

/** `seal arc train` (ReST-EM + every baseline) or `eval` (the baselines of one model, no RL). */
export async function runArc(mode: 'train' | 'eval', cfg: ArcConfig, options: { fresh?: boolean } = {}): Promise<ArcSummary> {
  const start = performance.now();
  const modelDir = cfg.model || DEFAULT_MODEL_DIR;
  const resolved = { mode, ...cfg, model: modelDir, data: { ...cfg.data, dir: cfg.data.dir || DEFAULT_ARC_DATA_DIR } };
  const run = RunDir.open(cfg.runsDir, `${cfg.name}-${mode}`, resolved, options);
  const data = await loadArcData(cfg);
  run.writeJson('data.json', { train: data.train.map((c) => c.id), eval: data.eval.map((c) => c.id) });
  const conditions = new Set(cfg.eval.conditions);
  const base = loadModel(modelDir);
  if (!base.tokenizer) throw new Error(`${modelDir}: ARC needs the model's tokenizer (no tokenizer.json)`);
  const task = makeArcTask(cfg, base.tokenizer);
  const kEval = cfg.eval.samplesPerContext;
  const summary: ArcSummary = {
    kind: 'arc', mode, runDir: run.dir, successRate: { seal: [] }, formatFailureRate: { seal: [], training: [] },
    counts: { seal: [] }, rounds: [], oracleConfigurations: 0,
    tasks: data.eval.map((c) => ({ id: c.id, train: c.train, test: c.test, seal: [] })),
    trainTasks: [], compute: { innerLoops: 0, tokensTrained: 0, tokensGenerated: 0, innerSeconds: 0 }, seconds: 0,
  };
  const evalKeys = (label: string, round: number): TrialKeys => ({
    samples: (id) => `eval/samples-round${round}/${id}`, inner: (id, j) => `eval/${label}/${id}/${j}`,
  });
  const countOf = (s: TrialStats): TrialCount => ({ trials: s.trials, successes: s.successes, unusable: s.unusable });

  if (conditions.has('icl')) {
    // In-context learning: the base model answers the leave-one-out queries, no TTT (§8).
    const bar = new Progress('in-context learning', data.eval.length);
    const t0 = performance.now();
    let solved = 0;
    for (const [i, c] of data.eval.entries()) {
      const key = `eval/icl/${c.id}`;
      solved += await loggedBaseline(run, key, base, task, c);
      const details = run.get<{ key: string; details: ArcEvaluationDetails }>(key)!.details;
      summary.tasks[i]!.icl = { success: details.success, attempts: details.attempts };
      bar.update(i + 1, `solved ${solved}/${i + 1}`, (performance.now() - t0) / 1000);
    }
    bar.done();
    summary.successRate.icl = solved / Math.max(1, data.eval.length);
    summary.counts.icl = { trials: data.eval.length, successes: solved, unusable: 0 };
  }

  // TTT runs side by side on worker processes (cfg.workers), each holding the model TTT starts from.
  let pool = tttPool(cfg, modelDir);
  try {
    if (conditions.has('tttUntrainedPolicy')) {
      const outcomes = await selfEditTrials(run, evalKeys('baseSelfEdits', 0), base, task, data.eval, kEval, cfg, 'TTT, untrained policy', pool);
      outcomes.forEach((row, i) => { summary.tasks[i]!.tttUntrainedPolicy = row; });
      const stats = trialStats(outcomes.flat());
      summary.successRate.tttUntrainedPolicy = stats.successRate;
      summary.formatFailureRate.tttUntrainedPolicy = stats.formatFailureRate;
      summary.counts.tttUntrainedPolicy = countOf(stats);
    }

    if (conditions.has('oracle')) {
      const configs = oracleConfigs(cfg.oracle);
      summary.oracleConfigurations = configs.length;
      const bar = new Progress('oracle TTT', data.eval.length * configs.length);
      const t0 = performance.now();
      // Configuration n of every task still open, one wave per n (the waves' jobs go side by side on
      // the pool): each task tries the same configurations in the same order as one by one would.
      const tried: SelfEditOutcome[][] = data.eval.map(() => []);
      let done = 0;
      for (const [n, config] of configs.entries()) {
        const open = data.eval.filter((_, i) => !(cfg.oracle.stopAtFirstSuccess && tried[i]!.some((o) => o.success)));
        done += data.eval.length - open.length;
        const jobs = open.map((c) => ({ key: `eval/oracle/${c.id}/${n}`, context: c, selfEdit: selfEditText(config) }));
        const entries = await loggedInnerLoops(run, jobs, base, task, tttDefaults(cfg), cfg.seed, pool, () => {
          const solvedNow = tried.filter((row) => row.some((o) => o.success)).length;
          bar.update(++done, `tasks solved ${solvedNow}/${data.eval.length}`, (performance.now() - t0) / 1000);
        });
        entries.forEach((entry, j) => tried[data.eval.indexOf(open[j]!)]!.push(outcomeOf(entry)));
      }
      let solved = 0;
      tried.forEach((row, i) => {
        const success = row.some((o) => o.success);
        if (success) solved++;
        summary.tasks[i]!.oracle = { success, tried: row };
      });
      bar.done();
      summary.successRate.oracle = solved / Math.max(1, data.eval.length);
      summary.counts.oracle = { trials: data.eval.length, successes: solved, unusable: 0 };
    }

    if (mode === 'train' && conditions.has('seal')) {
      // Runs after every baseline: the first round's behaviour cloning changes `base` in place.
      summary.trainTasks = data.train.map((c) => ({ id: c.id, train: c.train, test: c.test, successes: [], trials: [] }));
      let policy = base;
      for (let r = 0; r < cfg.restem.rounds; r++) {
        const { report, outcomes } = await arcRestEmRound(run, r, policy, task, data.train, cfg, pool);
        summary.rounds.push(report);
        summary.formatFailureRate.training.push(report.formatFailureRate);
        outcomes.forEach((row, i) => {
          summary.trainTasks[i]!.successes.push(row.filter((o) => o.success).length);
          summary.trainTasks[i]!.trials.push(row.length);
        });
        policy = policyForRound(run, modelDir, r + 1);
        pool?.close();
        pool = tttPool(cfg, run.path(`checkpoints/round-${r + 1}`));
        const sealOutcomes = await selfEditTrials(run, evalKeys(`seal-r${r + 1}`, r + 1), policy, task, data.eval, kEval, cfg, `SEAL round ${r + 1}`, pool);
        sealOutcomes.forEach((row, i) => summary.tasks[i]!.seal.push(row));
        const stats = trialStats(sealOutcomes.flat());
        summary.successRate.seal.push(stats.successRate);
        summary.formatFailureRate.seal.push(stats.formatFailureRate);
        summary.counts.seal.push(countOf(stats));
      }
    }
  } finally {
    pool?.close();
  }
  summary.compute = computeTotals(run.entries());
  summary.seconds = (performance.now() - start) / 1000;
  run.writeJson('summary.json', summary);
  return summary;
}
