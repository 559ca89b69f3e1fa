// Teacher-forced scoring: every token's log-probability under the model (`seal score`, model cards).
import { kernels } from '../kernels/index.js';
import type { Transformer } from '../model/transformer.js';
import { noGrad } from '../tensor/autograd.js';

/** Log-probability of each token given the ones before it (the first has none). */
export function scoreIds(model: Transformer, ids: number[]): {
  tokens: { id: number; logprob: number | null }[]; loss: number | null;
} {
  const T = ids.length;
  const V = model.config.vocabSize;
  const logits = noGrad(() => model.forward(Int32Array.from(ids), 1, T)).data as Float32Array;
  const targets = new Int32Array(T);
  for (let t = 0; t < T; t++) targets[t] = t + 1 < T ? ids[t + 1]! : -100;
  const losses = new Float32Array(T);
  const lse = new Float32Array(T);
  kernels.crossEntropyForward(T, V, logits, targets, losses, lse);
  const tokens = ids.map((id, t) => ({ id, logprob: t === 0 ? null : -losses[t - 1]! }));
  const loss = T > 1 ? losses.subarray(0, T - 1).reduce((a, b) => a + b, 0) / (T - 1) : null;
  return { tokens, loss };
}
