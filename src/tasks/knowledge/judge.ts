// The LLM judge (spec knowledge.md §6): the paper's grading prompt, answered by a local model or
// by an OpenAI-compatible endpoint; yes/no parsed as the official code does.
import type { LoadedModel } from '../../model/load.js';
import { generate } from '../../generate/generate.js';
import { gradePrompt } from './prompts.js';
import { judgeVerdict } from './grade.js';

export interface Judge {
  grade(question: string, gold: string, prediction: string): Promise<boolean>;
}

/** A judge run by a local model: greedy, a few tokens, verdict by whole words yes/no. */
export class LocalJudge implements Judge {
  constructor(private readonly model: LoadedModel, private readonly maxTokens = 8) {}

  async grade(question: string, gold: string, prediction: string): Promise<boolean> {
    const tokenizer = this.model.tokenizer!;
    const prompt = gradePrompt(question, gold, prediction);
    const ids = tokenizer.hasChatTemplate
      ? tokenizer.encodeChat([{ role: 'user', content: prompt }])
      : tokenizer.encode(prompt);
    const [out] = generate(this.model.model, [ids], {
      temperature: 0, maxNewTokens: this.maxTokens, eosTokenIds: this.model.generation.eosTokenIds, tokenizer,
    });
    return judgeVerdict(out!.text ?? '');
  }
}
