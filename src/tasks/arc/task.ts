// ARC few-shot learning as a SEAL task (spec arc.md): a context is one test input of an ARC task
// with the task's train pairs; a self-edit is a JSON configuration of test-time training; the
// reward is 1 when the updated model's two voted attempts contain the true output, else 0.
import type { LoadedModel } from '../../model/load.js';
import type { Tokenizer } from '../../model/tokenizer.js';
import type { Evaluation, InnerPlan, InnerTrainSettings, SealTask } from '../../seal/task.js';
import type { FewShotTask } from './augment.js';
import { splitByTestInput, type ArcExample, type ArcTask as ArcTaskData, type Grid } from './data.js';
import { exampleAnswer } from './grid-text.js';
import { modelAnswerer, solveTestInput, type ViewPrediction } from './inference.js';
import {
  SELF_EDIT_SYSTEM_MESSAGE, llama3SelfEditPrompt, parseSelfEdit, selfEditUserMessage, type ArcSelfEditConfig,
} from './self-edit.js';
import { MAX_SEQUENCE_TOKENS, planTtt, rowTokens, tttRow } from './ttt.js';

/** One test input of an ARC task (§1 splitting: `<id>-<i>`) with all of the task's train pairs. */
export interface ArcContext {
  id: string;
  train: ArcExample[];
  test: ArcExample;
}

/** §1: a task with t test inputs becomes t contexts `<id>-0 … <id>-(t−1)`. */
export function arcContexts(tasks: readonly ArcTaskData[]): ArcContext[] {
  return tasks.flatMap(splitByTestInput).map((t) => ({ id: t.id, train: t.train, test: t.test[0]! }));
}

export interface ArcTaskOptions {
  /** The base model's tokenizer: renders and counts TTT text, renders the self-edit prompt. */
  tokenizer: Tokenizer;
  /** Sequence limit for TTT examples and queries (§4.4, §6.2: 8,192). */
  maxTokens?: number;
  /** TTT examples per self-edit (§4.4: 250). */
  maxTttExamples?: number;
  /** Optimiser-step budget (§3.3 rule 6: 375). */
  maxSteps?: number;
  /** Seeds of the TTT data and of the queries (official: 0 and 0). */
  tttSeed?: number;
  querySeed?: number;
  /** Longest answer generated; default: the tokens of a 30 × 30 answer, the largest ARC grid. */
  maxAnswerTokens?: number;
  /** Stop answers at these strings too (default none: the official code stops at end of turn only). */
  answerStop?: string[];
}

export interface ArcEvaluationDetails {
  /** The configuration the evaluated adapter was trained with; null for an un-updated model. */
  config: ArcSelfEditConfig | null;
  attempts: [Grid | null, Grid | null];
  success: boolean;
  invalid: number;
  views: ViewPrediction[];
}

export class ArcTask implements SealTask<ArcContext> {
  readonly name = 'arc';
  /**
   * The configuration of the last usable plan per context, reported by the next evaluate of that
   * context: SealTask.evaluate gets no self-edit, but the run log should show the configuration
   * next to the attempts it produced (innerLoop always evaluates right after planning).
   */
  private readonly planned = new Map<string, ArcSelfEditConfig>();
  private answerLimit: number | undefined;

  constructor(readonly options: ArcTaskOptions) {}

  contextId(c: ArcContext): string {
    return c.id;
  }

  /**
   * §3.1: verbatim for a Llama-3 vocabulary (hand-built chat text without the date preamble);
   * for any other policy the same system and user messages through its own chat template.
   */
  selfEditPrompt(c: ArcContext): string {
    const tokenizer = this.options.tokenizer;
    if (tokenizer.tokenToId('<|start_header_id|>') !== null) return llama3SelfEditPrompt(c.train);
    const user = selfEditUserMessage(c.train);
    if (!tokenizer.hasChatTemplate) return `${SELF_EDIT_SYSTEM_MESSAGE}\n\n${user}`;
    return tokenizer.renderChat([{ role: 'system', content: SELF_EDIT_SYSTEM_MESSAGE }, { role: 'user', content: user }], { addGenerationPrompt: true });
  }

  plan(c: ArcContext, selfEdit: string, defaults: InnerTrainSettings): InnerPlan {
    this.planned.delete(c.id);
    const parsed = parseSelfEdit(selfEdit);
    if (!parsed.ok) return parsed;
    const o = this.options;
    const plan = planTtt(c.train, parsed.config, defaults, {
      tokenizer: o.tokenizer, maxTokens: o.maxTokens, maxExamples: o.maxTttExamples, maxSteps: o.maxSteps, seed: o.tttSeed,
    });
    if (plan.ok) this.planned.set(c.id, parsed.config);
    return plan;
  }

  async evaluate(model: LoadedModel, c: ArcContext): Promise<Evaluation> {
    const config = this.planned.get(c.id) ?? null;
    this.planned.delete(c.id);
    const tokenizer = model.tokenizer;
    if (!tokenizer) throw new Error(`${model.dir}: ARC evaluation needs the model's tokenizer`);
    const maxTokens = this.options.maxTokens ?? MAX_SEQUENCE_TOKENS;
    // §6.2: a query is kept when its prompt plus the true answer stays under the limit.
    const fits = (task: FewShotTask) => rowTokens(tokenizer, tttRow(tokenizer, task)) < maxTokens;
    const answer = modelAnswerer(model, {
      maxAnswerTokens: this.options.maxAnswerTokens ?? this.largestAnswerTokens(tokenizer), maxTokens, stop: this.options.answerStop,
    });
    const p = await solveTestInput(c.train, c.test, answer, { seed: this.options.querySeed ?? 0, fits });
    const details: ArcEvaluationDetails = { config, attempts: p.attempts, success: p.success, invalid: p.invalid, views: p.views };
    return { reward: p.success ? 1 : 0, details, tokensGenerated: p.tokensGenerated };
  }

  /** Tokens of a 30 × 30 answer with every colour (no valid ARC answer is longer), plus end of turn. */
  private largestAnswerTokens(tokenizer: Tokenizer): number {
    if (this.answerLimit === undefined) {
      const grid = Array.from({ length: 30 }, (_, i) => Array.from({ length: 30 }, (_, j) => (i * 7 + j * 3) % 10));
      this.answerLimit = tokenizer.encode(exampleAnswer(grid), { addSpecialTokens: false }).length + 1;
    }
    return this.answerLimit;
  }
}
