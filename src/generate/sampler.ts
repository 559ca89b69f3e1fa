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
  const k = options.topK && options.topK > 0 ? Math.min(options.topK, V) : V;
  const topP = options.topP ?? 1;
  // Candidates, best first. Sorting a 150k vocabulary per token would dominate decoding, so only
  // the tokens that can matter are sorted: the top k, or for top-p the tokens above a probability
  // floor low enough that they hold the nucleus.
  let order: number[];
  let max = -Infinity;
  if (k < V) {
    order = topKIndices(logits, k);
    max = logits[order[0]!]!; // the best candidate is the vocabulary's maximum
  } else {
    for (let i = 0; i < V; i++) if (logits[i]! > max) max = logits[i]!;
    order = topP < 1 ? nucleusCandidates(logits, max, temperature, topP) : Array.from({ length: V }, (_, i) => i);
  }
  const probs = new Float64Array(order.length);
  let sum = 0;
  for (let i = 0; i < order.length; i++) {
    probs[i] = Math.exp((logits[order[i]!]! - max) / temperature);
    sum += probs[i]!;
  }
  let keep = order.length;
  if (topP < 1) {
    // The mass of the whole vocabulary (not just the candidates) is what top-p is relative to.
    const total = k < V ? sum : vocabularyMass(logits, max, temperature);
    let cumulative = 0;
    for (let i = 0; i < order.length; i++) {
      cumulative += probs[i]! / total;
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

function vocabularyMass(logits: Float32Array, max: number, temperature: number): number {
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += Math.exp((logits[i]! - max) / temperature);
  return total;
}

/**
 * Tokens sorted by logit whose total probability reaches topP: every token with probability at
 * least `floor`, the floor lowered until the kept mass suffices (tokens below it cannot be in the
 * nucleus once the mass above it reaches topP).
 */
function nucleusCandidates(logits: Float32Array, max: number, temperature: number, topP: number): number[] {
  const total = vocabularyMass(logits, max, temperature);
  for (let floor = 1e-3; ; floor /= 10) {
    const cut = max + temperature * Math.log(floor * total);
    const picked: number[] = [];
    let mass = 0;
    for (let i = 0; i < logits.length; i++) {
      if (logits[i]! >= cut) {
        picked.push(i);
        mass += Math.exp((logits[i]! - max) / temperature);
      }
    }
    if (mass / total >= topP || floor < 1e-12 || picked.length === logits.length) {
      picked.sort((a, b) => logits[b]! - logits[a]! || a - b);
      return picked;
    }
  }
}

/** Indices of the k largest logits, largest first (a partial selection: no full vocabulary sort). */
function topKIndices(logits: Float32Array, k: number): number[] {
  const heap: number[] = [];
  // The kept values beside their indices: the scan compares each logit with the smallest kept one
  // without a second indirection (this loop runs over the whole vocabulary for every token).
  const values = new Float64Array(k);
  let floor = Infinity;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (heap.length < k) {
      heap.push(i);
      if (heap.length === k) {
        heap.sort((a, b) => logits[a]! - logits[b]!);
        for (let j = 0; j < k; j++) values[j] = logits[heap[j]!]!;
        floor = values[0]!;
      }
    } else if (v > floor) {
      // Insert into the ascending list, dropping the smallest (k is small in practice).
      let j = 1;
      while (j < k && values[j]! < v) {
        heap[j - 1] = heap[j]!;
        values[j - 1] = values[j]!;
        j++;
      }
      heap[j - 1] = i;
      values[j - 1] = v;
      floor = values[0]!;
    }
  }
  if (heap.length < k) heap.sort((a, b) => logits[a]! - logits[b]!);
  return heap.reverse();
}
