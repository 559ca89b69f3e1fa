// Generation with a KV cache: the prompts are prefilled into their cache slots (together, right-
// padded, when their lengths are close), then all sequences decode together one token per step,
// so the weights are streamed once per step for the whole batch (SEAL samples several self-edits
// per passage, and answers a passage's questions, this way).
import { noGrad } from '../tensor/autograd.js';
import type { Transformer } from '../model/transformer.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { KVCache } from '../model/kv-cache.js';
import { sampleToken, type SamplingOptions } from './sampler.js';
import { seededRandom } from '../util/random.js';

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens?: number;
  seed?: number;
  /** Generation of a sequence ends at any of these tokens (the token is not returned). */
  eosTokenIds?: number[];
  /** ... or when its text contains one of these strings (the text is cut before it). */
  stop?: string[];
  /** Needed for stop strings and for text output. */
  tokenizer?: Tokenizer | null;
  /** Called with each sequence's new token as it is chosen. */
  onToken?: (sequence: number, token: number) => void;
}

export type FinishReason = 'eos' | 'stop' | 'length';

export interface Generation {
  tokens: number[];
  text: string | null;
  finishReason: FinishReason;
}

export function generate(model: Transformer, prompts: number[][], options: GenerateOptions = {}): Generation[] {
  const B = prompts.length;
  if (B === 0) return [];
  if (prompts.some((p) => p.length === 0)) throw new Error('generate: every prompt needs at least one token (BOS)');
  const maxNew = options.maxNewTokens ?? 128;
  const eos = new Set(options.eosTokenIds ?? []);
  const stops = (options.stop ?? []).filter((s) => s.length > 0);
  if (stops.length && !options.tokenizer) throw new Error('generate: stop strings need a tokenizer');
  const V = model.config.vocabSize;
  const maxT = Math.max(...prompts.map((p) => p.length)) + maxNew;
  const cache = KVCache.forModel(model.config, B, maxT);
  const randoms = prompts.map((_, b) => seededRandom((options.seed ?? 0) * 1000003 + b));
  const results: Generation[] = prompts.map(() => ({ tokens: [], text: null, finishReason: 'length' }));
  const done = new Array<boolean>(B).fill(maxNew === 0);
  const next = new Int32Array(B);

  return noGrad(() => {
    if (maxNew > 0) prefill();
    for (let step = 1; step < maxNew && done.includes(false); step++) {
      const logits = model.forward(next, B, 1, { cache, lastOnly: true }).data as Float32Array;
      for (let b = 0; b < B; b++) {
        if (!done[b]) next[b] = accept(b, logits.subarray(b * V, (b + 1) * V));
      }
    }
    results.forEach((r, b) => {
      if (r.text === null && options.tokenizer) r.text = continuationText(options.tokenizer, prompts[b]!, r.tokens);
    });
    return results;
  });

  /**
   * All prompts in one forward, right-padded to the longest (causal attention keeps each prompt's
   * tokens blind to the padding after them), when padding adds at most a quarter to the tokens;
   * each slot's length is then cut back to its prompt, so decoding overwrites the padding.
   * Otherwise one prompt at a time.
   */
  function prefill(): void {
    const lengths = prompts.map((p) => p.length);
    const T = Math.max(...lengths);
    const real = lengths.reduce((a, n) => a + n, 0);
    if (B > 1 && B * T <= 1.25 * real) {
      const ids = new Int32Array(B * T);
      prompts.forEach((p, b) => {
        ids.set(p, b * T);
        ids.fill(p[p.length - 1]!, b * T + p.length, (b + 1) * T);
      });
      const logits = model.forward(ids, B, T, { cache, lastPositions: Int32Array.from(lengths, (n) => n - 1) }).data as Float32Array;
      cache.lengths.set(lengths);
      for (let b = 0; b < B; b++) next[b] = accept(b, logits.subarray(b * V, (b + 1) * V));
      return;
    }
    for (let b = 0; b < B; b++) {
      const ids = Int32Array.from(prompts[b]!);
      const logits = model.forward(ids, 1, ids.length, { cache: cache.view(b), lastOnly: true });
      next[b] = accept(b, logits.data as Float32Array);
    }
  }

  /** Samples sequence b's next token, records it, and marks the sequence done at EOS or a stop string. */
  function accept(b: number, logits: Float32Array): number {
    const token = sampleToken(logits, options, randoms[b]!);
    const r = results[b]!;
    if (eos.has(token)) {
      r.finishReason = 'eos';
      done[b] = true;
      return token;
    }
    r.tokens.push(token);
    options.onToken?.(b, token);
    if (stops.length) {
      const text = continuationText(options.tokenizer!, prompts[b]!, r.tokens);
      const cut = firstStop(text, stops);
      if (cut >= 0) {
        r.text = text.slice(0, cut);
        r.finishReason = 'stop';
        done[b] = true;
      }
    }
    if (r.tokens.length >= maxNew) done[b] = true;
    return token;
  }
}

function firstStop(text: string, stops: string[]): number {
  let first = -1;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i >= 0 && (first < 0 || i < first)) first = i;
  }
  return first;
}

/**
 * The text that `tokens` add after `prompt`. Decoding them alone can lose a leading space
 * (SentencePiece decoders strip the first one), so decode prompt + tokens and cut off the prompt.
 */
export function continuationText(tokenizer: Tokenizer, prompt: readonly number[], tokens: readonly number[]): string {
  // The last few prompt tokens are enough context for the decoder's boundary handling.
  const tail = prompt.slice(-8);
  const head = tokenizer.decode(tail);
  const full = tokenizer.decode([...tail, ...tokens]);
  return full.startsWith(head) ? full.slice(head.length) : tokenizer.decode(tokens);
}
