// Choosing the next token from logits: greedy, or temperature → top-k → top-p sampling in the
// order Hugging Face's generate applies them, from a seeded generator.

export { seededRandom } from '../util/random.js';

export interface SamplingOptions {
  /** 0 (or undefined) means greedy. */
  temperature?: number;
  /** Nucleus sampling: keep the smallest set of tokens whose probability reaches topP. */
  topP?: number;
  /** Keep only the k most likely tokens (0 or undefined: all). */
  topK?: number;
}

export function argmax(logits: Float32Array): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i]! > bestValue) {
      bestValue = logits[i]!;
      best = i;
    }
  }
  return best;
}

export function sampleToken(logits: Float32Array, options: SamplingOptions, random: () => number): number {
  const temperature = options.temperature ?? 0;
  if (!(temperature > 0)) return argmax(logits);
  const V = logits.length;
  // Candidates sorted by logit, best first; top-k truncates before the softmax (as HF does).
  let order: number[];
  const k = options.topK && options.topK > 0 ? Math.min(options.topK, V) : V;
  if (k < V) {
    order = topKIndices(logits, k);
  } else {
    order = Array.from({ length: V }, (_, i) => i);
    order.sort((a, b) => logits[b]! - logits[a]!);
  }
  const max = logits[order[0]!]!;
  const probs = new Float64Array(order.length);
  let sum = 0;
  for (let i = 0; i < order.length; i++) {
    probs[i] = Math.exp((logits[order[i]!]! - max) / temperature);
    sum += probs[i]!;
  }
  let keep = order.length;
  const topP = options.topP ?? 1;
  if (topP < 1) {
    let cumulative = 0;
    for (let i = 0; i < order.length; i++) {
      cumulative += probs[i]! / sum;
      if (cumulative >= topP) {
        keep = i + 1;
        break;
      }
    }
  }
  let kept = 0;
  for (let i = 0; i < keep; i++) kept += probs[i]!;
  let r = random() * kept;
  for (let i = 0; i < keep; i++) {
    r -= probs[i]!;
    if (r < 0) return order[i]!;
  }
  return order[keep - 1]!;
}

/** Indices of the k largest logits, largest first (a partial selection: no full vocabulary sort). */
function topKIndices(logits: Float32Array, k: number): number[] {
  const heap: number[] = [];
  for (let i = 0; i < logits.length; i++) {
    if (heap.length < k) {
      heap.push(i);
      if (heap.length === k) heap.sort((a, b) => logits[a]! - logits[b]!);
    } else if (logits[i]! > logits[heap[0]!]!) {
      // Insert into the ascending list, dropping the smallest (k is small in practice).
      let j = 1;
      while (j < k && logits[heap[j]!]! < logits[i]!) {
        heap[j - 1] = heap[j]!;
        j++;
      }
      heap[j - 1] = i;
    }
  }
  if (heap.length < k) heap.sort((a, b) => logits[a]! - logits[b]!);
  return heap.reverse();
}
