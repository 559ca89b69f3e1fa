// The in-domain pretraining corpus of the tiny ARC model: documents built from the mini-ARC
// *pretrain* split (src/tasks/arc-synthetic), rendered exactly as ARC inference and test-time
// training render them (src/tasks/arc/grid-text.ts through the model's chat template), so that
// pretraining teaches the very format the model is later queried and finetuned in:
//  - problem documents: 0-2 demonstrations of a task, a query grid and its answer, i.e. the
//    training text of a TTT example (query prompt + "<answer grid>#" + what the template appends);
//  - self-edit documents: the self-edit prompt of a task (spec arc.md §3.1, through the chat
//    template as ArcTask.selfEditPrompt renders it for a non-Llama-3 vocabulary) followed by a
//    configuration drawn at random from a configuration space, as JSON in the layout of the prompt's
//    own example; so the untrained policy writes diverse, parseable configurations.
// Seeded per task: a task's documents depend only on the corpus seed and the task.
import { Template } from '@huggingface/jinja';
import { AUGMENTER_GROUP_NAMES } from '../tasks/arc/augment.js';
import type { ArcExample, ArcTask, Grid } from '../tasks/arc/data.js';
import { exampleAnswer, exampleQuery, renderTrainingPair, type ChatRenderer } from '../tasks/arc/grid-text.js';
import { SELF_EDIT_SYSTEM_MESSAGE, TRAINING_STRATEGIES, selfEditUserMessage } from '../tasks/arc/self-edit.js';
import { Rng } from '../tasks/synthetic/people.js';
import { CHATML_TEMPLATE } from '../tokenizer/train-bpe.js';

/**
 * What a self-edit may choose: either strategy, these learning rates and epoch counts (uniformly),
 * and each augmentation group turned on with probability `augmentationRate` (default 0.5).
 */
export interface ArcSelfEditSpace {
  learningRates: number[];
  epochs: number[];
  augmentationRate?: number;
}

const DEFAULT_AUGMENTATION_RATE = 0.5;

export const DEFAULT_SELF_EDIT_SPACE: ArcSelfEditSpace = {
  learningRates: [1e-4, 3e-4, 1e-3, 3e-3, 1e-2],
  epochs: [1, 2, 3, 4, 5],
  augmentationRate: DEFAULT_AUGMENTATION_RATE,
};

export interface ArcCorpusOptions {
  /** Seed of the document draws (default 0). */
  seed?: number;
  /** Problem documents per pretraining task (default 4). */
  problemsPerTask?: number;
  /**
   * Relative weights of 0, 1, 2, ... demonstrations before the query (default [1, 2, 2]: a single
   * pair, or one or two demonstrations + query + answer). Clipped to the pairs a task has.
   */
  shotWeights?: number[];
  /** Share of tasks that also get self-edit demonstrations (default 0.25). */
  selfEditTaskFraction?: number;
  /** Self-edit demonstrations per such task (default 1). */
  selfEditsPerTask?: number;
  selfEditSpace?: ArcSelfEditSpace;
  /**
   * Copy drills (default 0): identity demonstrations on random grids. Nothing in a task's rule is
   * learnt from them; they exist so the model forms the circuit that reads a cell of the input grid
   * back at its place in the answer, which tiling, colour maps and moves are built on and which
   * problems alone did not form (a 1M-parameter model copied 58% of answer tokens after 5,500 steps).
   */
  copyDrills?: number;
  /**
   * 'pairs' (default): 2-3 bare "<grid> -> <grid>#" lines (10,000 of them formed the circuit: 99% of
   * tokens, 85% of grids copied; 83% of tokens at the ~600-token distance of a real problem).
   * 'problem': the full TTT text of an identity task (6,000 of them did not form it: 73%).
   */
  copyDrillFormat?: 'pairs' | 'problem';
  copyDrillSides?: [number, number];
  /**
   * Share of problem documents whose instruction names the task's rule in the prompt's
   * `{description}` slot (default 0). ARC tasks never have a description, so a model that can
   * apply a named rule still has to find the rule from the demonstrations (in context or by TTT).
   */
  describedFraction?: number;
}

export type ResolvedArcCorpusOptions = Required<ArcCorpusOptions>;

export function resolveArcCorpusOptions(options: ArcCorpusOptions = {}): ResolvedArcCorpusOptions {
  const space = options.selfEditSpace ?? DEFAULT_SELF_EDIT_SPACE;
  const o: ResolvedArcCorpusOptions = {
    seed: options.seed ?? 0,
    problemsPerTask: options.problemsPerTask ?? 4,
    shotWeights: options.shotWeights ?? [1, 2, 2],
    selfEditTaskFraction: options.selfEditTaskFraction ?? 0.25,
    selfEditsPerTask: options.selfEditsPerTask ?? 1,
    selfEditSpace: { ...space, augmentationRate: space.augmentationRate ?? DEFAULT_AUGMENTATION_RATE },
    copyDrills: options.copyDrills ?? 0,
    copyDrillFormat: options.copyDrillFormat ?? 'pairs',
    copyDrillSides: options.copyDrillSides ?? [3, 6],
    describedFraction: options.describedFraction ?? 0,
  };
  if (!(o.describedFraction >= 0 && o.describedFraction <= 1)) throw new Error(`arc corpus: describedFraction must be in [0, 1], got ${o.describedFraction}`);
  if (o.copyDrillFormat !== 'pairs' && o.copyDrillFormat !== 'problem') throw new Error(`arc corpus: copyDrillFormat must be 'pairs' or 'problem', got ${JSON.stringify(o.copyDrillFormat)}`);
  if (!(Number.isInteger(o.copyDrills) && o.copyDrills >= 0)) throw new Error(`arc corpus: copyDrills must be an integer >= 0, got ${o.copyDrills}`);
  const [lo, hi] = o.copyDrillSides;
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && lo <= hi && hi <= 30)) {
    throw new Error(`arc corpus: copyDrillSides must be [lo, hi] with 1 <= lo <= hi <= 30, got ${JSON.stringify(o.copyDrillSides)}`);
  }
  if (!(Number.isInteger(o.problemsPerTask) && o.problemsPerTask >= 0)) throw new Error(`arc corpus: problemsPerTask must be an integer >= 0, got ${o.problemsPerTask}`);
  if (o.shotWeights.length === 0 || o.shotWeights.some((w) => !(w >= 0)) || !o.shotWeights.some((w) => w > 0)) {
    throw new Error(`arc corpus: shotWeights must be non-negative with one positive, got ${JSON.stringify(o.shotWeights)}`);
  }
  if (!(o.selfEditTaskFraction >= 0 && o.selfEditTaskFraction <= 1)) throw new Error(`arc corpus: selfEditTaskFraction must be in [0, 1], got ${o.selfEditTaskFraction}`);
  if (o.selfEditSpace.learningRates.length === 0 || o.selfEditSpace.epochs.length === 0) throw new Error('arc corpus: the self-edit space needs learning rates and epochs');
  const rate = o.selfEditSpace.augmentationRate!;
  if (!(rate >= 0 && rate <= 1)) throw new Error(`arc corpus: selfEditSpace.augmentationRate must be in [0, 1], got ${rate}`);
  return o;
}

export type ArcCorpusKind = 'problem' | 'selfedit' | 'drill';

export interface ArcCorpusDocument {
  kind: ArcCorpusKind;
  /** The mini-ARC task it was drawn from. */
  task: string;
  /** Problem documents: demonstrations shown before the query. */
  shots?: number;
  /** The text the model reads (the trainer appends EOS). */
  text: string;
}

/**
 * The chat template every pretrained tokenizer carries (train-bpe.ts CHATML_TEMPLATE), usable
 * before the tokenizer exists; renders exactly what Tokenizer.renderChat renders for it.
 */
export function chatmlRenderer(): ChatRenderer {
  const template = new Template(CHATML_TEMPLATE);
  return {
    renderChat: (messages, { addGenerationPrompt = true } = {}) => template.render({ messages, add_generation_prompt: addGenerationPrompt }),
  };
}

/** A problem document: the TTT training text of (demonstrations → query), prompt and answer joined. */
export function problemDocument(chat: ChatRenderer, demonstrations: readonly ArcExample[], query: ArcExample, description = ''): string {
  const { prompt, completion } = renderTrainingPair(chat, demonstrations, query, description);
  return prompt + completion;
}

/** §3.1's prompt as ArcTask.selfEditPrompt renders it for a tokenizer with a (non-Llama-3) chat template. */
export function selfEditPromptText(chat: ChatRenderer, train: readonly ArcExample[]): string {
  return chat.renderChat([{ role: 'system', content: SELF_EDIT_SYSTEM_MESSAGE }, { role: 'user', content: selfEditUserMessage(train) }], { addGenerationPrompt: true });
}

/** A configuration drawn from the space, as JSON laid out like the prompt's example. */
export function randomSelfEdit(rng: Rng, space: ArcSelfEditSpace = DEFAULT_SELF_EDIT_SPACE): string {
  const rate = space.augmentationRate ?? DEFAULT_AUGMENTATION_RATE;
  const dataGeneration = Object.fromEntries(AUGMENTER_GROUP_NAMES.map((g) => [`use_${g}_augmentations`, rng.chance(rate)]));
  return JSON.stringify({
    data_generation: dataGeneration,
    training: { strategy: rng.pick(TRAINING_STRATEGIES), learning_rate: rng.pick(space.learningRates), num_train_epochs: rng.pick(space.epochs) },
  }, null, 2);
}

/** A random grid: sides in [lo, hi], a random share of its cells coloured (sparse to full). */
export function randomGrid(rng: Rng, [lo, hi]: [number, number]): Grid {
  const rows = lo + rng.int(hi - lo + 1);
  const cols = lo + rng.int(hi - lo + 1);
  const filled = 0.2 + 0.8 * rng.float();
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => (rng.chance(filled) ? 1 + rng.int(9) : 0)));
}

/** Copy drill i: 2-3 identity demonstrations on random grids, as bare lines or as one problem. */
export function copyDrillDocument(chat: ChatRenderer, seed: number, i: number, sides: [number, number], format: 'pairs' | 'problem' = 'pairs'): string {
  const rng = new Rng(`arc-drill:${seed}:${i}`);
  const pairs = Array.from({ length: 2 + rng.int(2) }, () => {
    const g = randomGrid(rng, sides);
    return { input: g, output: g };
  });
  if (format === 'problem') return problemDocument(chat, pairs.slice(1), pairs[0]!);
  return pairs.map((p) => `${exampleQuery(p.input)}${exampleAnswer(p.output)}\n`).join('');
}

/**
 * The corpus of the pretraining tasks. Every example of a task (its train pairs and its test
 * pair, whose answer is known for the pretrain split) can be a query; the demonstrations are
 * drawn from the task's other examples, in random order.
 */
export function buildArcCorpus(
  tasks: readonly ArcTask[], options: ArcCorpusOptions = {}, chat: ChatRenderer = chatmlRenderer(),
  describe: (task: ArcTask) => string = () => '',
): ArcCorpusDocument[] {
  const o = resolveArcCorpusOptions(options);
  const docs: ArcCorpusDocument[] = [];
  for (const task of tasks) {
    const rng = new Rng(`arc-corpus:${o.seed}:${task.id}`);
    const pairs = [...task.train, ...task.test];
    for (let d = 0; d < o.problemsPerTask; d++) {
      const q = rng.int(pairs.length);
      const others = pairs.filter((_, i) => i !== q);
      const shots = Math.min(rng.weighted(o.shotWeights), others.length);
      const description = o.describedFraction > 0 && rng.chance(o.describedFraction) ? describe(task) : '';
      docs.push({ kind: 'problem', task: task.id, shots, text: problemDocument(chat, rng.sample(others, shots), pairs[q]!, description) });
    }
    if (rng.chance(o.selfEditTaskFraction)) {
      const prompt = selfEditPromptText(chat, task.train);
      for (let s = 0; s < o.selfEditsPerTask; s++) {
        docs.push({ kind: 'selfedit', task: task.id, text: prompt + randomSelfEdit(rng, o.selfEditSpace) });
      }
    }
  }
  for (let i = 0; i < o.copyDrills; i++) docs.push({ kind: 'drill', task: `drill-${i}`, text: copyDrillDocument(chat, o.seed, i, o.copyDrillSides, o.copyDrillFormat) });
  return docs;
}

export interface ArcCorpusStats {
  byKind: Record<ArcCorpusKind, { documents: number; characters: number }>;
  /** Problem documents by number of demonstrations. */
  byShots: Record<string, number>;
}

export function arcCorpusStats(docs: readonly ArcCorpusDocument[]): ArcCorpusStats {
  const stats: ArcCorpusStats = { byKind: { problem: { documents: 0, characters: 0 }, selfedit: { documents: 0, characters: 0 }, drill: { documents: 0, characters: 0 } }, byShots: {} };
  for (const d of docs) {
    stats.byKind[d.kind].documents++;
    stats.byKind[d.kind].characters += d.text.length;
    if (d.shots !== undefined) stats.byShots[d.shots] = (stats.byShots[d.shots] ?? 0) + 1;
  }
  return stats;
}
