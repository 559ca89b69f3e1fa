// Knowledge incorporation, end to end (spec knowledge.md): load passages, evaluate the baselines
// (no update, passage only, passage + base-model self-edits, passage + teacher self-edits), run
// ReST-EM rounds and evaluate SEAL after each, in one run directory that survives a crash.
import { existsSync, readFileSync } from 'node:fs';
import { loadModel, type LoadedModel } from '../model/load.js';
import { KnowledgeTask } from '../tasks/knowledge/task.js';
import { readPassages, selectPassages, type Passage } from '../tasks/knowledge/data.js';
import { LocalJudge } from '../tasks/knowledge/judge.js';
import { makeBenchmark } from '../tasks/synthetic/benchmark.js';
import { teacherSelfEdit } from '../tasks/synthetic/corpus.js';
import type { KnowledgeRecord } from '../tasks/synthetic/passages.js';
import { RunDir, computeTotals } from '../seal/run.js';
import {
  loggedBaseline, loggedInnerLoops, loggedSamples, policyForRound, restEmRound, type RestEmConfig,
} from '../seal/restem.js';
import { poolForWorkers, type InnerLoopPool } from '../seal/pool.js';
import type { InnerTrainSettings } from '../seal/task.js';
import { sampleSelfEdits } from '../seal/inner.js';
import type { SelfEditPromptKey } from '../tasks/knowledge/prompts.js';
import { Progress } from '../util/progress.js';
import { KNOWLEDGE_DEFAULTS, type KnowledgeConfig } from './knowledge-config.js';

export { DEFAULT_MODEL_DIR } from '../config/paths.js';
import { DEFAULT_MODEL_DIR } from '../config/paths.js';

export interface KnowledgeData {
  train: Passage[];
  eval: Passage[];
}

export function loadKnowledgeData(cfg: KnowledgeConfig): KnowledgeData {
  const d = cfg.data;
  // Disjoint rounds read a slice of passages per round.
  const trainCount = d.trainPassages < 0 || !cfg.restem.disjointRounds ? d.trainPassages : d.trainPassages * Math.max(1, cfg.restem.rounds);
  const take = (ps: Passage[], n: number) => (n < 0 ? ps : ps.slice(0, n));
  let data: KnowledgeData;
  if (d.synthetic) {
    const bench = makeBenchmark(d.synthetic);
    const asPassages = (records: KnowledgeRecord[], split: string): Passage[] =>
      records.map((r, i) => ({ id: `synthetic-${split}#${i}`, title: r.title, context: r.context, questions: r.questions }));
    data = { train: take(asPassages(bench.rl, 'rl'), trainCount), eval: take(asPassages(bench.eval, 'eval'), d.evalPassages) };
  } else {
    if (!d.eval) throw new Error("config: field 'data.eval' is required (or set 'data.synthetic')");
    const opts = { shuffleSeed: d.shuffleSeed };
    data = {
      train: d.train ? selectPassages(readPassages(d.train), trainCount, opts) : [],
      eval: selectPassages(readPassages(d.eval), d.evalPassages, opts),
    };
  }
  const wantsTrain = cfg.restem.rounds > 0 && cfg.eval.conditions.includes('seal') && (d.train !== '' || d.synthetic !== null);
  if (wantsTrain && trainCount >= 0 && data.train.length < trainCount) {
    throw new Error(`config: field 'data.trainPassages' asks for ${trainCount} RL passages (${d.trainPassages} per round × ${cfg.restem.rounds} disjoint rounds), `
      + `but ${d.synthetic ? 'the synthetic RL split' : d.train} has ${data.train.length}`);
  }
  return data;
}

/** The RL passages of round r: its own slice when rounds are disjoint, else all of them. */
export function roundPassages(cfg: KnowledgeConfig, train: Passage[], round: number): Passage[] {
  if (!cfg.restem.disjointRounds || cfg.data.trainPassages < 0) return train;
  const n = cfg.data.trainPassages;
  return train.slice(round * n, (round + 1) * n);
}

export function innerDefaults(cfg: KnowledgeConfig): InnerTrainSettings {
  return { ...cfg.inner, targets: [...cfg.inner.targets] };
}

export function restEmConfig(cfg: KnowledgeConfig): RestEmConfig {
  return {
    ...cfg.restem, keep: cfg.restem.keep as RestEmConfig['keep'], sampling: cfg.sampling, inner: innerDefaults(cfg),
    sft: { ...cfg.sft, targets: [...cfg.sft.targets] }, seed: cfg.seed,
  };
}

export function makeTask(cfg: KnowledgeConfig, policy: LoadedModel): KnowledgeTask {
  let judge;
  if (cfg.task.grader === 'judge') judge = new LocalJudge(cfg.judge.model ? loadModel(cfg.judge.model) : policy);
  return new KnowledgeTask({
    promptKey: cfg.task.promptKey as SelfEditPromptKey, splitNewlines: cfg.task.splitNewlines,
    grader: cfg.task.grader as 'exact' | 'f1' | 'judge', judge, maxAnswerTokens: cfg.task.maxAnswerTokens,
    answerStop: cfg.task.answerStop, rankBy: cfg.task.rankBy as 'grade' | 'answer-likelihood',
  });
}

/** Rebuilds the knowledge task in an inner-loop worker (pool.ts) from the config's task and judge fields. */
export function knowledgeTaskForWorker(options: Pick<KnowledgeConfig, 'task' | 'judge'>, base: LoadedModel): KnowledgeTask {
  return makeTask({ ...KNOWLEDGE_DEFAULTS, ...options }, base);
}

/** A pool of cfg.workers inner-loop workers holding the model in `modelDir`, or none when workers is 1. */
export function innerLoopPool(cfg: KnowledgeConfig, modelDir: string): InnerLoopPool | undefined {
  return poolForWorkers(cfg.workers, modelDir, { module: import.meta.url, name: 'knowledgeTaskForWorker', options: { task: cfg.task, judge: cfg.judge } });
}

/** The external teacher's self-edit for each passage. */
export function teacherSelfEdits(cfg: KnowledgeConfig, passages: Passage[], task: KnowledgeTask): string[] {
  const t = cfg.teacher;
  if (t.kind === 'rule') {
    if (!cfg.data.synthetic) throw new Error("config: teacher.kind 'rule' needs synthetic data; use 'file' or 'model' for SQuAD");
    return passages.map((p) => teacherSelfEdit({ title: p.title, context: p.context, questions: p.questions }));
  }
  if (t.kind === 'file') {
    if (!existsSync(t.path)) throw new Error(`config: field 'teacher.path' names ${t.path || '(nothing)'}, which does not exist`);
    const rows = JSON.parse(readFileSync(t.path, 'utf8')) as { title: string; context: string; self_edits?: string[]; completions?: string[] }[];
    const byKey = new Map(rows.map((r) => [`${r.title}\n${r.context}`, (r.self_edits ?? r.completions ?? [])[0] ?? '']));
    return passages.map((p) => {
      const s = byKey.get(`${p.title}\n${p.context}`);
      if (s === undefined) throw new Error(`${t.path}: no self-edit for passage '${p.title}' (${p.id})`);
      return s;
    });
  }
  const teacher = loadModel(t.model);
  return sampleSelfEdits(teacher, task, passages, 1, cfg.sampling, cfg.seed).map((s) => s[0]!.text);
}

/**
 * One row of the table: each passage's inner loop on its self-edit over `model`, accuracy = mean
 * over passages of per-passage accuracy (the paper's macro average). A passage may have several
 * self-edits (eval.samples in the self-edit rows) and each is trained eval.repeats times with
 * different seeds; the passage's accuracy is the mean of all of them. Self-edit s > 0 is logged
 * under `eval/<label>-sample<s>/`, repeat e > 0 under `...-repeat<e>/`.
 */
async function evaluateCondition(
  run: RunDir, label: string, model: LoadedModel, task: KnowledgeTask, passages: Passage[],
  selfEdits: (p: Passage, i: number) => string[], cfg: KnowledgeConfig, progress: Progress, pool?: InnerLoopPool,
): Promise<number> {
  const repeats = cfg.eval.repeats;
  const jobs = passages.flatMap((p, i) => selfEdits(p, i).flatMap((selfEdit, s) => Array.from({ length: repeats }, (_, e) => ({
    key: `eval/${label}${s === 0 ? '' : `-sample${s}`}${e === 0 ? '' : `-repeat${e}`}/${p.id}`, context: p, selfEdit,
  }))));
  const perPassage = jobs.length / Math.max(1, passages.length);
  let done = 0;
  let running = 0;
  const entries = await loggedInnerLoops(run, jobs, model, task, innerDefaults(cfg), cfg.seed, pool, (entry) => {
    running += entry.reward;
    done++;
    progress.update(Math.floor(done / perPassage), `${label}: accuracy ${(running / done * 100).toFixed(1)}%`, 0);
  });
  progress.done();
  // Every passage has the same number of inner loops, so the mean over them is the macro average.
  const sum = entries.reduce((a, e) => a + e.reward, 0);
  return sum / Math.max(1, jobs.length);
}

async function noUpdateAccuracy(run: RunDir, label: string, model: LoadedModel, task: KnowledgeTask, passages: Passage[]): Promise<number> {
  let sum = 0;
  for (const p of passages) sum += await loggedBaseline(run, `eval/${label}/${p.id}`, model, task, p);
  return sum / Math.max(1, passages.length);
}

export interface KnowledgeSummary {
  mode: string;
  runDir: string;
  accuracy: {
    base?: number;
    passage?: number;
    passageBaseSelfEdits?: number;
    passageTeacherSelfEdits?: number;
    seal: number[];
  };
  /** No-update accuracy of each round's model (round 0 = the base). */
  roundBaselines: number[];
  rounds: { round: number; kept: number; meanReward: number; meanBaseline: number }[];
  compute: { innerLoops: number; tokensTrained: number; tokensGenerated: number; innerSeconds: number };
  seconds: number;
}

/** `seal knowledge train` (RL + every baseline) or `eval` (baselines of one model, no RL). */
export async function runKnowledge(mode: 'train' | 'eval', cfg: KnowledgeConfig, options: { fresh?: boolean } = {}): Promise<KnowledgeSummary> {
  const start = performance.now();
  const modelDir = cfg.model || DEFAULT_MODEL_DIR;
  // The worker count changes where inner loops run, not what they compute: not part of the run's identity.
  const { workers: _workers, ...identity } = cfg;
  const run = RunDir.open(cfg.runsDir, `${cfg.name}-${mode}`, { mode, ...identity, model: modelDir }, options);
  const data = loadKnowledgeData(cfg);
  run.writeJson('data.json', { train: data.train.map((p) => p.id), eval: data.eval.map((p) => p.id), passages: [...data.train, ...data.eval] });
  const conditions = new Set(cfg.eval.conditions);
  const base = loadModel(modelDir);
  const task = makeTask(cfg, base);
  const summary: KnowledgeSummary = {
    mode, runDir: run.dir, accuracy: { seal: [] }, roundBaselines: [], rounds: [],
    compute: { innerLoops: 0, tokensTrained: 0, tokensGenerated: 0, innerSeconds: 0 }, seconds: 0,
  };
  const bar = (label: string) => new Progress(label, data.eval.length);

  // Inner-loop workers hold the model the inner loops update: the base, then each round's policy.
  let pool = innerLoopPool(cfg, modelDir);
  try {
    summary.roundBaselines.push(await noUpdateAccuracy(run, 'base', base, task, data.eval));
    if (conditions.has('base')) summary.accuracy.base = summary.roundBaselines[0];
    if (conditions.has('passage')) {
      summary.accuracy.passage = await evaluateCondition(run, 'passage', base, task, data.eval, () => [''], cfg, bar('passage only'), pool);
    }
    if (conditions.has('baseSelfEdits')) {
      const samples = await loggedSamples(run, 'eval/samples-round0', base, task, data.eval, cfg.eval.samples, cfg.sampling, cfg.seed);
      summary.accuracy.passageBaseSelfEdits = await evaluateCondition(run, 'baseSelfEdits', base, task, data.eval, (_, i) => samples[i]!.map((s) => s.text), cfg, bar('base self-edits'), pool);
    }
    if (conditions.has('teacherSelfEdits')) {
      const teacher = teacherSelfEdits(cfg, data.eval, task);
      summary.accuracy.passageTeacherSelfEdits = await evaluateCondition(run, 'teacherSelfEdits', base, task, data.eval, (_, i) => [teacher[i]!], cfg, bar('teacher self-edits'), pool);
    }

    if (mode === 'train' && conditions.has('seal')) {
      const rest = restEmConfig(cfg);
      let policy = base;
      for (let r = 0; r < cfg.restem.rounds; r++) {
        const contexts = roundPassages(cfg, data.train, r);
        const progress = new Progress(`ReST-EM round ${r + 1}`, contexts.length * rest.samplesPerContext * rest.evalRepeats);
        const t0 = performance.now();
        const result = await restEmRound(run, r, policy, task, contexts, rest, (e) => {
          progress.update(e.done, `self-edits, mean reward ${(e.meanReward * 100).toFixed(1)}%`, (performance.now() - t0) / 1000);
        }, pool);
        progress.done();
        summary.rounds.push({ round: r + 1, kept: result.kept.length, meanReward: result.meanReward, meanBaseline: result.meanBaseline });
        policy = policyForRound(run, modelDir, r + 1);
        pool?.close();
        pool = innerLoopPool(cfg, run.path(`checkpoints/round-${r + 1}`));
        const roundTask = makeTask(cfg, policy);
        summary.roundBaselines.push(await noUpdateAccuracy(run, `seal-r${r + 1}-base`, policy, roundTask, data.eval));
        const samples = await loggedSamples(run, `eval/samples-round${r + 1}`, policy, roundTask, data.eval, cfg.eval.samples, cfg.sampling, cfg.seed);
        summary.accuracy.seal.push(await evaluateCondition(run, `seal-r${r + 1}`, policy, roundTask, data.eval, (_, i) => samples[i]!.map((s) => s.text), cfg, bar(`SEAL round ${r + 1}`), pool));
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
