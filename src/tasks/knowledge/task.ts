// Knowledge incorporation as a SEAL task (spec knowledge.md): a context is a passage with its
// questions; a self-edit is training text about the passage; the reward is no-context question
// answering accuracy of the updated model.
import type { LoadedModel } from '../../model/load.js';
import { generate } from '../../generate/generate.js';
import { scoreIds } from '../../generate/score.js';
import type { Evaluation, InnerPlan, InnerTrainSettings, SealTask } from '../../seal/task.js';
import { buildTrainSequences } from './sequences.js';
import { qaPrompt, selfEditPrompt, topicQuestion, type SelfEditPromptKey } from './prompts.js';
import { exactMatch, firstLine, tokenF1 } from './grade.js';
import type { Passage } from './data.js';
import type { Judge } from './judge.js';

export interface KnowledgeTaskOptions {
  promptKey: SelfEditPromptKey;
  splitNewlines: boolean;
  /** How answers are graded into the reward. */
  grader: 'exact' | 'f1' | 'judge';
  judge?: Judge;
  maxAnswerTokens: number;
  /** Stop answering at these strings (the official code stops only at EOS; EM/F1 cut at a newline anyway). */
  answerStop: string[];
  /**
   * What ReST-EM ranks self-edits by: 'grade' (the reward itself, the paper) or
   * 'answer-likelihood', the mean over questions of the gold answer's per-token probability
   * (exp of its mean log-probability, teacher-forced): a few questions graded right or wrong give
   * a coarse, noisy reward, which a small model's ReST-EM cannot select on.
   */
  rankBy?: 'grade' | 'answer-likelihood';
}

export interface QuestionResult {
  question: string;
  gold: string;
  prediction: string;
  exact: boolean;
  f1: number;
  correct: boolean;
  /** The gold answer's per-token probability (when the task ranks by answer likelihood). */
  likelihood?: number;
}

export class KnowledgeTask implements SealTask<Passage> {
  readonly name = 'knowledge';

  constructor(readonly options: KnowledgeTaskOptions) {}

  contextId(p: Passage): string {
    return p.id;
  }

  selfEditPrompt(p: Passage): string {
    const key = this.options.promptKey === 'none' ? 'implications' : this.options.promptKey;
    return selfEditPrompt(key, p.title, p.context);
  }

  plan(p: Passage, selfEdit: string, defaults: InnerTrainSettings): InnerPlan {
    // The self-qa prompt ends inside "Question 1: ", so its completion continues that line.
    const text = this.options.promptKey === 'self-qa' && selfEdit.trim() ? `Question 1: ${selfEdit}` : selfEdit;
    const sequences = buildTrainSequences(text, p.context, p.title, this.options.splitNewlines);
    // The passage is always the last sequence.
    if (defaults.selfEditOnly) sequences.pop();
    if (!sequences.length) return { ok: false, reason: 'empty self-edit (nothing to train on without the passage)' };
    return { ok: true, rows: sequences.map((s) => ({ text: s })), settings: defaults };
  }

  async evaluate(model: LoadedModel, p: Passage): Promise<Evaluation> {
    const results = await this.answer(model, p);
    const correct = results.filter((r) => r.correct).length;
    const evaluation: Evaluation = {
      reward: results.length ? correct / results.length : 0,
      details: results,
      tokensGenerated: results.reduce((n, r) => n + r.prediction.length, 0),
    };
    if (this.options.rankBy === 'answer-likelihood' && results.length) {
      const likelihoods = this.answerLikelihoods(model, p);
      results.forEach((r, i) => { r.likelihood = likelihoods[i]; });
      evaluation.rank = likelihoods.reduce((a, b) => a + b, 0) / likelihoods.length;
    }
    return evaluation;
  }

  /**
   * Per question, the per-token probability exp(mean log p) of the gold answer and the line end
   * that stops it, after the QA prompt, teacher-forced on the model as it is now.
   */
  answerLikelihoods(model: LoadedModel, p: Passage): number[] {
    const tokenizer = model.tokenizer!;
    return p.questions.map((q) => {
      const prompt = qaPrompt(p.title, q.question);
      const promptIds = tokenizer.encode(prompt);
      const ids = tokenizer.encode(`${prompt}${q.answer}\n`);
      // The answer's tokens start where the prompt's stop matching (a merge across the boundary
      // moves the start back into the prompt by a token at most).
      let start = 0;
      while (start < promptIds.length && start < ids.length && ids[start] === promptIds[start]) start++;
      start = Math.max(1, start);
      const { tokens } = scoreIds(model.model, ids);
      let sum = 0;
      for (let t = start; t < ids.length; t++) sum += tokens[t]!.logprob!;
      return ids.length > start ? Math.exp(sum / (ids.length - start)) : 0;
    });
  }

  /** Answers every question of the passage without the passage (one batched greedy generation) and grades them. */
  async answer(model: LoadedModel, p: Passage): Promise<QuestionResult[]> {
    if (p.questions.length === 0) return [];
    const tokenizer = model.tokenizer!;
    const prompts = p.questions.map((q) => tokenizer.encode(qaPrompt(p.title, q.question)));
    const outputs = generate(model.model, prompts, {
      temperature: 0, maxNewTokens: this.options.maxAnswerTokens, eosTokenIds: model.generation.eosTokenIds,
      stop: this.options.answerStop, tokenizer,
    });
    const results: QuestionResult[] = [];
    for (let i = 0; i < p.questions.length; i++) {
      const q = p.questions[i]!;
      const prediction = outputs[i]!.text ?? '';
      const line = firstLine(prediction);
      const exact = line !== '' && exactMatch(line, q.answer);
      const f1 = line === '' ? 0 : tokenF1(line, q.answer);
      let correct: boolean;
      if (this.options.grader === 'judge') {
        correct = prediction.trim() !== '' && await this.options.judge!.grade(topicQuestion(p.title, q.question), q.answer, prediction.trim());
      } else {
        correct = this.options.grader === 'exact' ? exact : f1 >= 0.5;
      }
      results.push({ question: q.question, gold: q.answer, prediction, exact, f1, correct });
    }
    return results;
  }
}
