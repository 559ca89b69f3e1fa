// `seal demo --arc`: SEAL's ARC method (spec arc.md) offline, on the tiny in-domain model
// (`seal pretrain --preset tiny-arc`) and synthetic mini-ARC tasks it never saw: in-context
// learning, TTT with the untrained policy's self-edits, oracle TTT, and SEAL after each ReST-EM
// round, in one run directory with an HTML report. It is the ARC recipe (arc.ts) with a config
// scaled to a ~1M-parameter model and 2 cores; every size below is a field of that config, and
// `--config FILE` overrides any of them (same fields as `seal arc train`).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigFieldError, readConfigFile, resolveConfig } from '../config/config.js';
import { Tokenizer } from '../model/tokenizer.js';
import { MINI_ARC_OPTIONS_FILE } from '../pretrain/pretrain.js';
import { ARC_PRESETS } from '../pretrain/presets.js';
import { writeReport } from '../report/report.js';
import type { MiniArcOptions } from '../tasks/arc-synthetic/benchmark.js';
import { exampleAnswer } from '../tasks/arc/grid-text.js';
import { ARC_DEFAULTS, loadArcConfig, type ArcConfig } from './arc-config.js';
import { runArc, type ArcSummary } from './arc.js';

/** models/tiny-arc next to the package. */
export const DEFAULT_ARC_MODEL_DIR = fileURLToPath(new URL('../../../models/tiny-arc', import.meta.url));

export interface ArcDemoOptions {
  seed?: number;
  /** Model directory (default models/tiny-arc). */
  model?: string;
  runsDir?: string;
  /** A YAML or JSON file overriding fields of the demo's ARC config. */
  config?: string;
}

/**
 * The demo's sizes, in the ARC config's terms (each lands in a config field; `--config FILE`
 * overrides them there). A TTT run of the ~1M-parameter tiny-arc model on 3 × 3 colour maps takes
 * ~0.5 s with one worker per core, so the demo affords 20 eval tasks × 5 self-edits per condition
 * and 24 training tasks × 8 self-edits per round: ~860 TTT runs, 7 minutes on Zen 5. At most 8 TTT
 * examples (of a leave-one-out task's augmentations) so that no configuration of the policy's space
 * (≤ 5 epochs) exceeds the 24-step budget: with 16, 41% of the untrained policy's self-edits were
 * over budget and solved nothing, fewer tasks than ICL did.
 */
export const ARC_DEMO_SIZES = {
  trainTasks: 24,
  evalTasks: 20,
  trainSelfEdits: 8,
  evalSelfEdits: 5,
  rounds: 2,
  maxTttExamples: 8,
  maxSteps: 24,
};

/** The mini-ARC options a model was pretrained with (its mini_arc.json), else the tiny-arc preset's. */
export function modelMiniArcOptions(modelDir: string): MiniArcOptions {
  const path = join(modelDir, MINI_ARC_OPTIONS_FILE);
  if (!existsSync(path)) return { ...ARC_PRESETS['tiny-arc']!.miniArc };
  const recorded = JSON.parse(readFileSync(path, 'utf8')) as { miniArc?: MiniArcOptions };
  if (!recorded.miniArc || typeof recorded.miniArc !== 'object') throw new Error(`${path}: no 'miniArc' field`);
  return recorded.miniArc;
}

/** Tokens of the longest answer a task with grids of side ≤ maxSide can have, plus end of answer. */
export function answerTokenLimit(tokenizer: Tokenizer, maxSide: number): number {
  const grid = Array.from({ length: maxSide }, (_, i) => Array.from({ length: maxSide }, (_, j) => (i * 7 + j * 3) % 10));
  return tokenizer.encode(exampleAnswer(grid), { addSpecialTokens: false }).length + 2;
}

/**
 * The demo's ARC config for a model: the train and eval tasks are a seeded, family-balanced pick
 * (the demo's seed) from the train and eval splits of the very mini-ARC generator call the model
 * was pretrained with, so they never share an input grid with its pretraining tasks.
 */
export function arcDemoConfig(
  options: { seed: number; model: string; runsDir: string; miniArc: MiniArcOptions; maxPositions: number; maxAnswerTokens: number },
): ArcConfig {
  const s = ARC_DEMO_SIZES;
  const targets = [...ARC_DEFAULTS.ttt.targets];
  return {
    ...ARC_DEFAULTS,
    name: 'demo-arc',
    model: options.model,
    runsDir: options.runsDir,
    seed: options.seed,
    // One TTT worker per core: a ~1M-parameter model's steps gain little from a second thread.
    workers: 0,
    data: {
      ...ARC_DEFAULTS.data, evalIds: [],
      synthetic: { ...options.miniArc, pick: { seed: options.seed, train: s.trainTasks, eval: s.evalTasks } },
    },
    task: {
      ...ARC_DEFAULTS.task, maxTokens: options.maxPositions, maxTttExamples: s.maxTttExamples, maxSteps: s.maxSteps,
      maxAnswerTokens: options.maxAnswerTokens, answerStop: ['#'],
    },
    // §3.2's temperature; a configuration is ~90 tokens of JSON.
    sampling: { ...ARC_DEFAULTS.sampling, temperature: 0.8, topP: 1, maxNewTokens: 128 },
    // §5's TTT scaled to the tiny model: rank 16 (the paper's 128 is full rank at hidden size 128),
    // and 2 warmup steps instead of 11 (TTT here runs 8-24 steps, the paper's up to 375).
    ttt: { ...ARC_DEFAULTS.ttt, rank: 16, alpha: 32, targets, warmup: 2 },
    restem: { ...ARC_DEFAULTS.restem, rounds: s.rounds, samplesPerContext: s.trainSelfEdits },
    // §7's 8 epochs of behaviour cloning; a higher lr than the paper's 5e-5 for a model this small.
    sft: { ...ARC_DEFAULTS.sft, rank: 16, alpha: 32, dropout: 0, targets, lr: 1e-3, epochs: 8, batchSize: 4, gradAccum: 1 },
    eval: { ...ARC_DEFAULTS.eval, samplesPerContext: s.evalSelfEdits, conditions: ['icl', 'tttUntrainedPolicy', 'oracle', 'seal'] },
    // A small grid rather than the 128-point one: basic augmentations or none, either loss, the
    // two learning rates that solve most tasks, 5 or 3 epochs (16 configurations; solved if any solves).
    oracle: {
      ...ARC_DEFAULTS.oracle,
      groups: ['basic'], strategies: ['train_using_output_tokens', 'train_using_all_tokens'], learningRates: [1e-2, 3e-3], epochs: [5, 3], stopAtFirstSuccess: true,
    },
  };
}

export interface ArcDemoResult {
  runDir: string;
  seconds: number;
  summary: ArcSummary;
  report: string;
  config: ArcConfig;
}

/** The demo's config for these options: defaults for the model, then the override file. */
export function resolveArcDemoConfig(options: ArcDemoOptions = {}): ArcConfig {
  const user = options.config ? readConfigFile(options.config) : {};
  const model = options.model || (typeof user.model === 'string' && user.model ? user.model : DEFAULT_ARC_MODEL_DIR);
  if (!existsSync(join(model, 'config.json'))) {
    throw new Error(`${model}: the tiny ARC model is not there; \`seal pretrain --preset tiny-arc\` trains it (or pass --model DIR)`);
  }
  const miniArc = modelMiniArcOptions(model);
  const maxPositions = (JSON.parse(readFileSync(join(model, 'config.json'), 'utf8')) as { max_position_embeddings?: number }).max_position_embeddings ?? 2048;
  const tokenizer = Tokenizer.fromDir(model);
  const defaults = arcDemoConfig({
    seed: options.seed ?? 0, model, runsDir: options.runsDir ?? 'runs', miniArc, maxPositions,
    maxAnswerTokens: answerTokenLimit(tokenizer, miniArc.maxSide ?? 9),
  });
  const merged = options.config ? resolveConfig(defaults, { ...user, model }, options.config) : defaults;
  // The ARC config's own checks (ranges, enumerations, lists) over the result; only the file can
  // break them, so errors name it.
  try {
    return loadArcConfig(null, merged as unknown as Record<string, unknown>);
  } catch (err) {
    if (err instanceof ConfigFieldError && options.config) throw new ConfigFieldError(err.message.replace(/^command line:/, `${options.config}:`));
    throw err;
  }
}

export async function runArcDemo(options: ArcDemoOptions = {}): Promise<ArcDemoResult> {
  const start = performance.now();
  const config = resolveArcDemoConfig(options);
  const summary = await runArc('train', config);
  const report = writeReport(summary.runDir);
  return { runDir: summary.runDir, seconds: (performance.now() - start) / 1000, summary, report, config };
}

/** The line `seal demo --arc --json` prints: rates are fractions in [0, 1], null when not run. */
export function arcDemoJson(r: Pick<ArcDemoResult, 'runDir' | 'seconds' | 'summary'>): {
  runDir: string; seconds: number; successRate: { icl: number | null; tttUntrainedPolicy: number | null; seal: number[]; oracle: number | null };
} {
  const s = r.summary.successRate;
  return {
    runDir: r.runDir, seconds: r.seconds,
    successRate: { icl: s.icl ?? null, tttUntrainedPolicy: s.tttUntrainedPolicy ?? null, seal: [...s.seal], oracle: s.oracle ?? null },
  };
}
