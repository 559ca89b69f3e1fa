// The ARC few-shot run config: every number defaults to the paper's (spec arc.md §3.2 sampling,
// §4.4 TTT data, §5 TTT, §7 ReST-EM and behaviour cloning, §8 conditions); a config file overrides
// any of them. Errors name the file and the field.
import { fileURLToPath } from 'node:url';
import { ConfigFieldError, readConfigFile, resolveConfig, type FieldRule } from '../config/config.js';
import { LORA_TARGETS } from '../lora/lora.js';
import type { ScheduleName } from '../train/optimizer.js';
import { AUGMENTER_GROUP_NAMES } from '../tasks/arc/augment.js';
import { ARC_FILES } from '../tasks/arc/data.js';
import { TRAINING_STRATEGIES } from '../tasks/arc/self-edit.js';
import { ARC_TTT_DEFAULTS, MAX_SEQUENCE_TOKENS, MAX_TTT_EXAMPLES, MAX_TTT_STEPS } from '../tasks/arc/ttt.js';

/** shared/data/arc next to the package (where the project keeps the ARC-AGI files). */
export const DEFAULT_ARC_DATA_DIR = fileURLToPath(new URL('../../../../shared/data/arc/', import.meta.url));

/**
 * §7 step 5: the evaluation ids the official run scores (the filtered evaluation set without
 * 358ba94e and af24b4cc); b1fc8b8e has two test inputs, so these are 9 contexts.
 */
export const PAPER_EVAL_IDS = ['903d1b4a', 'c7d4e6ad', '66e6c45b', 'ce8d95cc', 'b1fc8b8e', '59341089', 'bc4146bd', '68b67ca3'];

export const ARC_CONDITIONS = ['icl', 'tttUntrainedPolicy', 'oracle', 'seal'] as const;

export const ARC_DEFAULTS = {
  name: 'arc',
  /** Policy and TTT base ('' = the shipped tiny model; the paper: Llama-3.2-1B-Instruct). */
  model: '',
  runsDir: 'runs',
  seed: 0,
  /**
   * TTT runs side by side in this many worker processes, each holding a copy of the model (0 = one
   * per core; 1 = all in this process). For small models on several cores: the demo uses one per core.
   */
  workers: 1,
  data: {
    /** Directory of the named sets ('' = shared/data/arc). */
    dir: '',
    trainSet: 'training-filtered',
    evalSet: 'evaluation-filtered',
    /** Explicit files instead of a named set (both of a pair, or neither). */
    trainChallenges: '',
    trainSolutions: '',
    evalChallenges: '',
    evalSolutions: '',
    /** Task ids to use, in this order ([] = every task of the file). File data only. */
    trainIds: [] as string[],
    evalIds: [...PAPER_EVAL_IDS],
    /** Options of the synthetic mini-ARC generator (src/tasks/arc-synthetic) instead of files. */
    synthetic: null as Record<string, unknown> | null,
  },
  task: {
    maxTokens: MAX_SEQUENCE_TOKENS,
    maxTttExamples: MAX_TTT_EXAMPLES,
    maxSteps: MAX_TTT_STEPS,
    tttSeed: 0,
    querySeed: 0,
    /** Longest answer generated (0 = the tokens of the largest possible ARC answer). */
    maxAnswerTokens: 0,
    /** Also stop answers at these strings (official: none; '#' ends every answer). */
    answerStop: [] as string[],
  },
  /** §3.2: vLLM sampling of self-edits. */
  sampling: { temperature: 0.8, topP: 1, maxNewTokens: 128 },
  /**
   * §5: LoRA, batch and learning-rate schedule of test-time training (HF Trainer, cosine after 11
   * warmup steps); lr, epochs and loss come from each self-edit.
   */
  ttt: {
    lr: ARC_TTT_DEFAULTS.lr, epochs: ARC_TTT_DEFAULTS.epochs, batchSize: ARC_TTT_DEFAULTS.batchSize, gradAccum: ARC_TTT_DEFAULTS.gradAccum,
    rank: ARC_TTT_DEFAULTS.rank, alpha: ARC_TTT_DEFAULTS.alpha, dropout: ARC_TTT_DEFAULTS.dropout, targets: [...ARC_TTT_DEFAULTS.targets],
    completionOnly: ARC_TTT_DEFAULTS.completionOnly,
    schedule: ARC_TTT_DEFAULTS.schedule,
    /** Optimizer steps of linear warmup from 0 (HF `warmup_steps`). */
    warmup: ARC_TTT_DEFAULTS.warmup,
  },
  /** §7: one round, 15 self-edits for each training task. */
  restem: { rounds: 1, samplesPerContext: 15 },
  /** §7 BC-self-edit.py: LoRA r 16, alpha 16, 8 epochs, batch 5, lr 5e-5. */
  sft: {
    rank: 16, alpha: 16, dropout: 0, targets: [...ARC_TTT_DEFAULTS.targets], lr: 5e-5, epochs: 8, batchSize: 5, gradAccum: 1,
  },
  eval: {
    /** §7 step 4: 5 self-edits for each evaluation task. */
    samplesPerContext: 5,
    conditions: [...ARC_CONDITIONS] as string[],
  },
  /**
   * Oracle TTT: every subset of `groups` × strategies × learning rates × epochs (largest subset
   * first, so the first configuration is the paper's ttt.py one); solved if any configuration solves.
   */
  oracle: {
    groups: [...AUGMENTER_GROUP_NAMES] as string[],
    strategies: ['train_using_output_tokens', 'train_using_all_tokens'] as string[],
    learningRates: [1e-4, 1e-3],
    epochs: [2, 1],
    /** Stop trying configurations for a task once one solves it. */
    stopAtFirstSuccess: true,
  },
};

export type ArcConfig = typeof ARC_DEFAULTS;

const int = (min: number): FieldRule => ({ integer: true, min });
const SCHEDULES: readonly ScheduleName[] = ['constant', 'linear', 'cosine'];

const RULES: Record<string, FieldRule> = {
  seed: int(0),
  workers: int(0),
  'data.trainSet': { oneOf: Object.keys(ARC_FILES) },
  'data.evalSet': { oneOf: Object.keys(ARC_FILES) },
  'data.synthetic': { nullable: true },
  'task.maxTokens': int(16), 'task.maxTttExamples': int(1), 'task.maxSteps': int(1),
  'task.tttSeed': int(0), 'task.querySeed': int(0), 'task.maxAnswerTokens': int(0),
  'sampling.temperature': { min: 0 }, 'sampling.topP': { min: 0, max: 1 }, 'sampling.maxNewTokens': int(1),
  'ttt.lr': { min: 0 }, 'ttt.epochs': int(1), 'ttt.batchSize': int(1), 'ttt.gradAccum': int(1), 'ttt.rank': int(1),
  'ttt.alpha': { min: 0 }, 'ttt.dropout': { min: 0, max: 0.99 }, 'ttt.targets': { eachOf: LORA_TARGETS },
  'ttt.schedule': { oneOf: SCHEDULES }, 'ttt.warmup': int(0),
  'restem.rounds': int(0), 'restem.samplesPerContext': int(1),
  'sft.rank': int(1), 'sft.alpha': { min: 0 }, 'sft.dropout': { min: 0, max: 0.99 }, 'sft.targets': { eachOf: LORA_TARGETS },
  'sft.lr': { min: 0 }, 'sft.epochs': int(1), 'sft.batchSize': int(1), 'sft.gradAccum': int(1),
  'eval.samplesPerContext': int(1), 'eval.conditions': { eachOf: ARC_CONDITIONS },
  'oracle.groups': { eachOf: AUGMENTER_GROUP_NAMES }, 'oracle.strategies': { eachOf: TRAINING_STRATEGIES },
};

/** Checks what resolveConfig cannot: element types of lists, and fields that come in pairs. */
function checkLists(cfg: ArcConfig, file: string): void {
  const fail = (field: string, what: string): never => {
    throw new ConfigFieldError(`${file}: field '${field}' ${what}`);
  };
  const strings: [string, unknown[]][] = [['data.trainIds', cfg.data.trainIds], ['data.evalIds', cfg.data.evalIds], ['task.answerStop', cfg.task.answerStop]];
  for (const [field, list] of strings) {
    list.forEach((x, i) => { if (typeof x !== 'string' || x === '') fail(field, `item ${i} must be a non-empty string, got ${JSON.stringify(x)}`); });
  }
  cfg.oracle.learningRates.forEach((x, i) => {
    if (typeof x !== 'number' || !(x > 0 && x <= 1)) fail('oracle.learningRates', `item ${i} must be a number in (0, 1], got ${JSON.stringify(x)}`);
  });
  cfg.oracle.epochs.forEach((x, i) => {
    if (!Number.isInteger(x) || x < 1) fail('oracle.epochs', `item ${i} must be an integer >= 1, got ${JSON.stringify(x)}`);
  });
  for (const [field, list] of [['oracle.strategies', cfg.oracle.strategies], ['oracle.learningRates', cfg.oracle.learningRates], ['oracle.epochs', cfg.oracle.epochs]] as const) {
    if (list.length === 0) fail(field, 'must not be empty (the oracle would try nothing)');
  }
  for (const split of ['train', 'eval'] as const) {
    const c = cfg.data[`${split}Challenges`];
    const s = cfg.data[`${split}Solutions`];
    if (Boolean(c) !== Boolean(s)) fail(`data.${split}${c ? 'Solutions' : 'Challenges'}`, `is required with data.${split}${c ? 'Challenges' : 'Solutions'}`);
  }
}

/** The defaults, overridden by the file (YAML or JSON) and then by command-line overrides. */
export function loadArcConfig(path: string | null, overrides: Record<string, unknown> = {}): ArcConfig {
  const user = path ? readConfigFile(path) : {};
  const fromFile = resolveConfig(ARC_DEFAULTS, user, path ?? 'config', RULES);
  checkLists(fromFile, path ?? 'config');
  const merged = resolveConfig(fromFile, overrides, 'command line', RULES);
  checkLists(merged, 'command line');
  return merged;
}
