// The ARC self-edit (spec arc.md §3): the prompt that shows the policy a task's demonstrations
// and asks for a test-time-training configuration, and the parser that turns the policy's answer
// into one. The official code accepts only strict JSON and resamples everything else; we read
// what small models actually write (prose, fences, Python literals) and say why a configuration is
// unusable, naming the field.
import { AUGMENTER_GROUP_NAMES, type AugmenterGroupName } from './augment.js';
import type { ArcExample } from './data.js';
import { gridToPlainText } from './grid-text.js';
import { findJsonObjects, type JsonValue } from './relaxed-json.js';

/** §3.1 `system_message`, quoted from the official repository (MIT). */
export const SELF_EDIT_SYSTEM_MESSAGE = 'You are a helpful assistant that provide the correct output for the given task immediately.';

/** §3.1 `self_edit_prompt`, quoted from the official repository (MIT); begins and ends with a newline. */
export const SELF_EDIT_INSTRUCTIONS =
  "\nYou are configuring a model training pipeline by selecting from predefined tools.\n\nYou must make two decisions:\n\n1. **Data Generation Tools** — For each of the following, choose true or false:\n    - use_basic_augmentations\n    - use_size_augmentations\n    - use_chain_augmentations\n    - use_repeat_augmentations\n\n2. **Training Configuration** — Choose one of:\n    - \"train_using_all_tokens\"\n    - \"train_using_output_tokens\"\n\nAlso specify:\n    - learning_rate (float)\n    - num_train_epochs (integer)\n\n### Output Format\n\nRespond with a valid JSON object. Do not include any explanation, markdown, or extra text. Use lowercase `true`/`false` for booleans and ensure correct JSON syntax.\n\nExample output:\n\n{\n  \"data_generation\": {\n    \"use_basic_augmentations\": ...,\n    \"use_size_augmentations\": ...,\n    \"use_chain_augmentations\": ...,\n    \"use_repeat_augmentations\": ...\n  },\n  \"training\": {\n    \"strategy\": ...,\n    \"learning_rate\": ...,\n    \"num_train_epochs\": ...\n  }\n}\n";

/**
 * §3.1 the user turn: every train pair (never the test input) as "Input:\n" + rows + "\nOutput:\n"
 * + rows + "\n", then "------\n\n" and the instructions.
 */
export function selfEditUserMessage(train: readonly ArcExample[]): string {
  const pairs = train.map((ex) => `Input:\n${gridToPlainText(ex.input)}\nOutput:\n${gridToPlainText(ex.output)}\n`).join('');
  return `${pairs}------\n\n${SELF_EDIT_INSTRUCTIONS}`;
}

/**
 * §3.1 the complete prompt as the official code hand-builds it: Llama-3 chat text without the
 * date preamble, ending with the open assistant header.
 */
export function llama3SelfEditPrompt(train: readonly ArcExample[]): string {
  return (
    `<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n${SELF_EDIT_SYSTEM_MESSAGE}<|eot_id|>` +
    `<|start_header_id|>user<|end_header_id|>\n\n${selfEditUserMessage(train)}<|eot_id|>` +
    '<|start_header_id|>assistant<|end_header_id|>\n\n'
  );
}

// ---- Parsing the policy's configuration (§3.3) ------------------------------------------------

export const TRAINING_STRATEGIES = ['train_using_all_tokens', 'train_using_output_tokens'] as const;
export type TrainingStrategy = (typeof TRAINING_STRATEGIES)[number];

/** A usable self-edit: which augmenter groups generate TTT data, and how to train on it. */
export interface ArcSelfEditConfig {
  /** §4.3 groups, from data_generation.use_<group>_augmentations. */
  augmentations: Record<AugmenterGroupName, boolean>;
  /** §5: loss on every token, or on the answer only. */
  strategy: TrainingStrategy;
  learningRate: number;
  numTrainEpochs: number;
}

export type SelfEditParse = { ok: true; config: ArcSelfEditConfig } | { ok: false; reason: string };

/** Learning rates outside (0, MAX_LEARNING_RATE] are rejected: they cannot train a LoRA sensibly. */
export const MAX_LEARNING_RATE = 1;

/**
 * Reads a self-edit into a configuration, or says why it is unusable (never throws). The object
 * may be surrounded by prose or a code fence and use single quotes, trailing commas or Python's
 * True / False / None. Every field of §3.3's schema is required with its type: where the official
 * code would silently train for 0 epochs (a missing flag, a missing or unknown strategy, a missing
 * rate or epoch count) this returns a reason instead. Extra fields are ignored.
 */
export function parseSelfEdit(text: string): SelfEditParse {
  if (typeof text !== 'string') return { ok: false, reason: 'the self-edit is not text' };
  const { objects, firstError } = findJsonObjects(text);
  const config = objects.find((o) => 'data_generation' in o || 'training' in o);
  if (!config) {
    if (objects.length === 0) return { ok: false, reason: `no JSON object in the self-edit${firstError ? ` (${firstError})` : ''}` };
    if (firstError) return { ok: false, reason: `no complete configuration object (${firstError})` };
    return { ok: false, reason: 'the JSON object has no data_generation or training field' };
  }
  const dataGeneration = config.data_generation;
  const training = config.training;
  if (!isObject(dataGeneration)) return { ok: false, reason: `data_generation ${describeMissing(dataGeneration, 'an object')}` };
  if (!isObject(training)) return { ok: false, reason: `training ${describeMissing(training, 'an object')}` };

  const augmentations = {} as Record<AugmenterGroupName, boolean>;
  for (const group of AUGMENTER_GROUP_NAMES) {
    const field = `use_${group}_augmentations`;
    const flag = dataGeneration[field];
    if (typeof flag !== 'boolean') return { ok: false, reason: `data_generation.${field} ${describeMissing(flag, 'true or false')}` };
    augmentations[group] = flag;
  }

  const strategy = training.strategy;
  if (typeof strategy !== 'string' || !(TRAINING_STRATEGIES as readonly string[]).includes(strategy)) {
    return { ok: false, reason: `training.strategy ${describeMissing(strategy, TRAINING_STRATEGIES.map((s) => `"${s}"`).join(' or '))}` };
  }
  const learningRate = training.learning_rate;
  if (typeof learningRate !== 'number' || !(learningRate > 0 && learningRate <= MAX_LEARNING_RATE)) {
    return { ok: false, reason: `training.learning_rate ${describeMissing(learningRate, `a number in (0, ${MAX_LEARNING_RATE}]`)}` };
  }
  const epochs = training.num_train_epochs;
  if (typeof epochs !== 'number' || !Number.isSafeInteger(epochs) || epochs < 1) {
    return { ok: false, reason: `training.num_train_epochs ${describeMissing(epochs, 'a whole number of at least 1')}` };
  }
  return { ok: true, config: { augmentations, strategy: strategy as TrainingStrategy, learningRate, numTrainEpochs: epochs } };
}

/** The enabled augmenter groups, in §4.3 order. */
export function enabledGroups(config: ArcSelfEditConfig): AugmenterGroupName[] {
  return AUGMENTER_GROUP_NAMES.filter((g) => config.augmentations[g]);
}

/**
 * §3.3 rule 6: the official code refuses to train (0 epochs) when epochs × examples // batch
 * exceeds 375 optimiser steps at batch 2.
 */
export function exceedsStepBudget(epochs: number, examples: number, batchSize = 2, maxSteps = 375): boolean {
  return Math.floor((epochs * examples) / batchSize) > maxSteps;
}

function isObject(x: JsonValue | undefined): x is { [key: string]: JsonValue } {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function describeMissing(value: JsonValue | undefined, expected: string): string {
  if (value === undefined) return `is missing (expected ${expected})`;
  const shown = JSON.stringify(value);
  return `must be ${expected}, got ${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown}`;
}
