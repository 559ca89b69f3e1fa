// Knowledge incorporation as a SEAL task (spec knowledge.md): a context is a passage with its
// questions; a self-edit is training text about the passage; the reward is no-context question
// answering accuracy of the updated model.
import type { LoadedModel } from '../../model/load.js';
import { generate } from '../../generate/generate.js';
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
}

export interface QuestionResult {
  question: string;
  gold: string;
  prediction: string;
  exact: boolean;
  f1: number;
  correct: boolean;
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
    return { ok: true, rows: sequences.map((s) => ({ text: s })), settings: defaults };
  }

  async evaluate(model: LoadedModel, p: Passage): Promise<Evaluation> {
    const results = await this.answer(model, p);
    const correct = results.filter((r) => r.correct).length;
    return {
      reward: results.length ? correct / results.length : 0,
      details: results,
      tokensGenerated: results.reduce((n, r) => n + r.prediction.length, 0),
    };
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
