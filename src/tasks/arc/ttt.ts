// From a parsed ARC self-edit to inner-loop training (spec arc.md §4.4, §5, §3.3 rule 6): the
// enabled augmenter groups build the test-time-training tasks, each rendered as the chat training
// text split into query and answer; the configuration's strategy, learning rate and epochs become
// the settings; sequences over the token limit are dropped and over-budget configurations refused.
import type { Tokenizer } from '../../model/tokenizer.js';
import type { InnerTrainSettings } from '../../seal/task.js';
import { tokenizeRow } from '../../train/data.js';
import { augmentersFor, buildTttTasks, type FewShotTask } from './augment.js';
import type { ArcExample } from './data.js';
import { renderTrainingPair } from './grid-text.js';
import { enabledGroups, exceedsStepBudget, type ArcSelfEditConfig } from './self-edit.js';

/** §4.4 step 5 / §6.2: sequences must stay under this many tokens. */
export const MAX_SEQUENCE_TOKENS = 8192;
/** §4.4: at most this many TTT examples (a seeded random subset when more). */
export const MAX_TTT_EXAMPLES = 250;
/** §3.3 rule 6: more optimiser steps than this and the official code does not train. */
export const MAX_TTT_STEPS = 375;

/** TTT settings: the inner loop's, with the learning-rate schedule (§5: cosine, 11 warmup steps). */
export type TttSettings = InnerTrainSettings;

/**
 * §5's fixed TTT settings (LoRA r 128, alpha 16, no dropout, q/v/gate/down/up, batch 2, no
 * accumulation, HF Trainer's cosine schedule after `warmup_steps=11`: the lr rises linearly from 0
 * over the first 11 optimizer steps, then decays to 0 along a half cosine); lr, epochs and the loss
 * mask come from each self-edit.
 */
export const ARC_TTT_DEFAULTS: InnerTrainSettings & Required<Pick<InnerTrainSettings, 'schedule' | 'warmup'>> = {
  lr: 1e-4, epochs: 2, batchSize: 2, gradAccum: 1, rank: 128, alpha: 16, dropout: 0,
  targets: ['q_proj', 'v_proj', 'gate_proj', 'down_proj', 'up_proj'], completionOnly: false,
  schedule: 'cosine', warmup: 11,
};

export interface TttPlanOptions {
  /** Renders the training text (chat template) and counts its tokens: the base model's tokenizer. */
  tokenizer: Tokenizer;
  maxTokens?: number;
  maxExamples?: number;
  maxSteps?: number;
  /** Seed of the TTT data (the official code always uses 0, so a configuration always gets the same data). */
  seed?: number;
}

/** One TTT example: the query the model would be asked and the answer it should give. */
export interface TttRow {
  prompt: string;
  completion: string;
}

export function tttRow(tokenizer: Tokenizer, task: FewShotTask): TttRow {
  return renderTrainingPair(tokenizer, task.demonstrations, task.test);
}

/** Length of the sequence the trainer sees for a row (what the token limit applies to). */
export function rowTokens(tokenizer: Tokenizer, row: TttRow): number {
  return tokenizeRow(row, tokenizer).ids.length;
}

/** What plan() records for the run log (a type alias, so it is a valid InnerPlan note). */
export type TttNote = {
  config: ArcSelfEditConfig;
  groups: string[];
  augmenters: number;
  /** TTT examples trained on. */
  examples: number;
  /** TTT tasks dropped for reaching the token limit. */
  droppedTooLong: number;
  /** Optimiser steps the inner loop will run. */
  steps: number;
};

export type TttPlan =
  | { ok: true; rows: TttRow[]; settings: TttSettings; note: TttNote }
  | { ok: false; reason: string };

/**
 * The TTT rows and settings of a configuration for an ARC task's train pairs (the test input is
 * never used). Unusable, with the reason: no example survives the token limit (§4.4: the self-edit
 * is skipped), or epochs × examples // batch exceeds the step budget (§3.3 rule 6: the official code
 * then trains 0 epochs, i.e. evaluates the unchanged model; we report it as unusable, reward 0, as
 * parseSelfEdit does for the other cases the official code turns into 0 epochs). The schedule is
 * the defaults' when they name one, else §5's (cosine, 11 warmup steps).
 */
export function planTtt(
  train: readonly ArcExample[], config: ArcSelfEditConfig, defaults: TttSettings, options: TttPlanOptions,
): TttPlan {
  const { tokenizer, maxTokens = MAX_SEQUENCE_TOKENS, maxExamples = MAX_TTT_EXAMPLES, maxSteps = MAX_TTT_STEPS, seed = 0 } = options;
  const groups = enabledGroups(config);
  const augmenters = augmentersFor(groups);
  // Rendered once: the token filter runs before the cap, and the kept tasks' rows are reused.
  const rendered = new Map<FewShotTask, TttRow>();
  let droppedTooLong = 0;
  const tasks = buildTttTasks(train, augmenters, {
    seed, maxTasks: maxExamples,
    keep: (task) => {
      const row = tttRow(tokenizer, task);
      if (rowTokens(tokenizer, row) >= maxTokens) {
        droppedTooLong++;
        return false;
      }
      rendered.set(task, row);
      return true;
    },
  });
  if (tasks.length === 0) {
    return { ok: false, reason: `no TTT example under ${maxTokens} tokens (${droppedTooLong} dropped as too long)` };
  }
  const batch = defaults.batchSize * defaults.gradAccum;
  const epochs = config.numTrainEpochs;
  if (exceedsStepBudget(epochs, tasks.length, batch, maxSteps)) {
    const steps = Math.floor((epochs * tasks.length) / batch);
    return {
      ok: false,
      reason: `${epochs} epochs × ${tasks.length} examples at batch ${batch} = ${steps} steps, over the ${maxSteps}-step budget`,
    };
  }
  const settings: TttSettings = {
    ...defaults,
    schedule: defaults.schedule ?? ARC_TTT_DEFAULTS.schedule,
    warmup: defaults.warmup ?? ARC_TTT_DEFAULTS.warmup,
    lr: config.learningRate,
    epochs,
    completionOnly: config.strategy === 'train_using_output_tokens',
    // The budget check rounds down, the trainer's epochs round up: the cap keeps the two in line.
    maxSteps,
  };
  const steps = Math.min(maxSteps, Math.ceil(tasks.length / batch) * epochs);
  return {
    ok: true,
    rows: tasks.map((t) => rendered.get(t)!),
    settings,
    note: { config, groups, augmenters: augmenters.length, examples: tasks.length, droppedTooLong, steps },
  };
}
