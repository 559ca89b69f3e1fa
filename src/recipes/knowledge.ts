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
  loggedBaseline, loggedInnerLoop, loggedSamples, policyForRound, restEmRound, type RestEmConfig,
} from '../seal/restem.js';
import type { InnerTrainSettings } from '../seal/task.js';
import { sampleSelfEdits } from '../seal/inner.js';
import type { SelfEditPromptKey } from '../tasks/knowledge/prompts.js';
import { Progress } from '../util/progress.js';
import type { KnowledgeConfig } from './knowledge-config.js';

export { DEFAULT_MODEL_DIR } from '../config/paths.js';
import { DEFAULT_MODEL_DIR } from '../config/paths.js';

export interface KnowledgeData {
  train: Passage[];
  eval: Passage[];
}

export function loadKnowledgeData(cfg: KnowledgeConfig): KnowledgeData {
  const d = cfg.data;
  if (d.synthetic) {
    const bench = makeBenchmark(d.synthetic);
    const asPassages = (records: KnowledgeRecord[], split: string): Passage[] =>
      records.map((r, i) => ({ id: `synthetic-${split}#${i}`, title: r.title, context: r.context, questions: r.questions }));
    const take = (ps: Passage[], n: number) => (n < 0 ? ps : ps.slice(0, n));
    return { train: take(asPassages(bench.rl, 'rl'), d.trainPassages), eval: take(asPassages(bench.eval, 'eval'), d.evalPassages) };
  }
  if (!d.eval) throw new Error("config: field 'data.eval' is required (or set 'data.synthetic')");
  const opts = { shuffleSeed: d.shuffleSeed };
  return {
    train: d.train ? selectPassages(readPassages(d.train), d.trainPassages, opts) : [],
    eval: selectPassages(readPassages(d.eval), d.evalPassages, opts),
  };
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
    answerStop: cfg.task.answerStop,
  });
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
 * One row of the table: each passage's inner loop on `selfEdits(p)` over `model`, accuracy = mean
 * over passages of per-passage accuracy (the paper's macro average).
 */
async function evaluateCondition(
  run: RunDir, label: string, model: LoadedModel, task: KnowledgeTask, passages: Passage[],
  selfEdits: (p: Passage, i: number) => string, cfg: KnowledgeConfig, progress: Progress,
): Promise<number> {
  let sum = 0;
  for (let i = 0; i < passages.length; i++) {
    const p = passages[i]!;
    const entry = await loggedInnerLoop(run, `eval/${label}/${p.id}`, model, task, p, selfEdits(p, i), innerDefaults(cfg), cfg.seed);
    sum += entry.reward;
    progress.update(i + 1, `${label}: accuracy ${(sum / (i + 1) * 100).toFixed(1)}%`, 0);
  }
  progress.done();
  return sum / Math.max(1, passages.length);
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
  const run = RunDir.open(cfg.runsDir, `${cfg.name}-${mode}`, { mode, ...cfg, model: modelDir }, options);
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

  summary.roundBaselines.push(await noUpdateAccuracy(run, 'base', base, task, data.eval));
  if (conditions.has('base')) summary.accuracy.base = summary.roundBaselines[0];
  if (conditions.has('passage')) {
    summary.accuracy.passage = await evaluateCondition(run, 'passage', base, task, data.eval, () => '', cfg, bar('passage only'));
  }
  if (conditions.has('baseSelfEdits')) {
    const samples = await loggedSamples(run, 'eval/samples-round0', base, task, data.eval, 1, cfg.sampling, cfg.seed);
    summary.accuracy.passageBaseSelfEdits = await evaluateCondition(run, 'baseSelfEdits', base, task, data.eval, (_, i) => samples[i]![0]!.text, cfg, bar('base self-edits'));
  }
  if (conditions.has('teacherSelfEdits')) {
    const teacher = teacherSelfEdits(cfg, data.eval, task);
    summary.accuracy.passageTeacherSelfEdits = await evaluateCondition(run, 'teacherSelfEdits', base, task, data.eval, (_, i) => teacher[i]!, cfg, bar('teacher self-edits'));
  }

  if (mode === 'train' && conditions.has('seal')) {
    const rest = restEmConfig(cfg);
    let policy = base;
    for (let r = 0; r < cfg.restem.rounds; r++) {
      const progress = new Progress(`ReST-EM round ${r + 1}`, data.train.length * rest.samplesPerContext * rest.evalRepeats);
      const t0 = performance.now();
      const result = await restEmRound(run, r, policy, task, data.train, rest, (e) => {
        progress.update(e.done, `self-edits, mean reward ${(e.meanReward * 100).toFixed(1)}%`, (performance.now() - t0) / 1000);
      });
      progress.done();
      summary.rounds.push({ round: r + 1, kept: result.kept.length, meanReward: result.meanReward, meanBaseline: result.meanBaseline });
      policy = policyForRound(run, modelDir, r + 1);
      const roundTask = makeTask(cfg, policy);
      summary.roundBaselines.push(await noUpdateAccuracy(run, `seal-r${r + 1}-base`, policy, roundTask, data.eval));
      const samples = await loggedSamples(run, `eval/samples-round${r + 1}`, policy, roundTask, data.eval, 1, cfg.sampling, cfg.seed);
      summary.accuracy.seal.push(await evaluateCondition(run, `seal-r${r + 1}`, policy, roundTask, data.eval, (_, i) => samples[i]![0]!.text, cfg, bar(`SEAL round ${r + 1}`)));
    }
  }

  summary.compute = computeTotals(run.entries());
  summary.seconds = (performance.now() - start) / 1000;
  run.writeJson('summary.json', summary);
  return summary;
}
