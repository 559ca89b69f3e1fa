// The task-agnostic SEAL interface. A Task knows its contexts (passages, ARC tasks), the prompt
// that asks the policy for a self-edit, how a self-edit becomes inner-loop training (data and
// settings), and how an updated model is scored into a reward. The loops in inner.ts and
// restem.ts know nothing else about the domain.
import type { LoadedModel } from '../model/load.js';
import type { TrainingRow } from '../train/data.js';
import type { ScheduleName } from '../train/optimizer.js';

/** Inner-loop training settings: the run's defaults, possibly overridden by a self-edit (ARC). */
export interface InnerTrainSettings {
  lr: number;
  epochs: number;
  batchSize: number;
  gradAccum: number;
  rank: number;
  alpha: number;
  dropout: number;
  targets: string[];
  completionOnly: boolean;
  /** Cap on optimizer steps (ARC's TTT); undefined = no cap. */
  maxSteps?: number;
  /**
   * Learning-rate schedule; absent: linear decay with no warmup (the knowledge inner loop). ARC's
   * TTT uses cosine after 11 warmup steps (arc.md §5).
   */
  schedule?: ScheduleName;
  /** Warmup optimizer steps (HF `warmup_steps`); default 0. */
  warmup?: number;
  /**
   * Train on the self-edit's own rows only, without what the task adds from the context (the
   * knowledge task appends the passage): set for ReST-EM's reward when restem.rewardWithoutContext.
   */
  selfEditOnly?: boolean;
}

/** What a self-edit turns into: training rows and settings, or a reason it is unusable. */
export type InnerPlan =
  | { ok: true; rows: TrainingRow[]; settings: InnerTrainSettings; note?: Record<string, unknown> }
  | { ok: false; reason: string };

export interface Evaluation {
  /** In [0, 1]. */
  reward: number;
  /** Per-item details for the run log and the report (answers, verdicts, attempts ...). */
  details: unknown;
  /** Tokens generated while evaluating. */
  tokensGenerated: number;
  /**
   * What ReST-EM ranks and keeps self-edits by when a task ranks by something other than the
   * reward (e.g. a smooth proxy of it); the reward otherwise.
   */
  rank?: number;
}

export interface SealTask<C> {
  readonly name: string;
  /** A stable id: the run log and resume key on it. */
  contextId(context: C): string;
  /** The text the policy completes into a self-edit. */
  selfEditPrompt(context: C): string;
  /** Turns a self-edit into inner-loop training. */
  plan(context: C, selfEdit: string, defaults: InnerTrainSettings): InnerPlan;
  /** Scores the model as it is now (adapter attached or not) on the context, without the context in the prompt. */
  evaluate(model: LoadedModel, context: C): Promise<Evaluation>;
}
