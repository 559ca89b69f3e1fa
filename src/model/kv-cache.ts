// Keys and values of the tokens seen so far, per layer, laid out [B, Hkv, maxT, D] so that decode
// streams each head's history contiguously. view(b) is one sequence's slot sharing the memory, so
// prompts of different lengths are prefilled one by one and then decoded together.
import type { ModelConfig } from './config.js';

export class KVCache {
  readonly layers: { k: Float32Array; v: Float32Array }[];
  /** Tokens held per sequence. */
  readonly lengths: Int32Array;

  constructor(
    readonly numKvHeads: number, readonly headDim: number, readonly numLayers: number,
    readonly batch: number, readonly maxT: number,
    shared?: { layers: { k: Float32Array; v: Float32Array }[]; lengths: Int32Array },
  ) {
    const size = batch * numKvHeads * maxT * headDim;
    this.layers = shared?.layers ?? Array.from({ length: numLayers }, () => ({ k: new Float32Array(size), v: new Float32Array(size) }));
    this.lengths = shared?.lengths ?? new Int32Array(batch);
  }

  static forModel(config: ModelConfig, batch: number, maxT: number): KVCache {
    return new KVCache(config.numKvHeads, config.headDim, config.numLayers, batch, maxT);
  }

  layer(l: number): { k: Float32Array; v: Float32Array } {
    return this.layers[l]!;
  }

  /** Sequence b's slot as a batch-of-one cache over the same memory. */
  view(b: number): KVCache {
    const size = this.numKvHeads * this.maxT * this.headDim;
    return new KVCache(this.numKvHeads, this.headDim, this.numLayers, 1, this.maxT, {
      layers: this.layers.map(({ k, v }) => ({ k: k.subarray(b * size, (b + 1) * size), v: v.subarray(b * size, (b + 1) * size) })),
      lengths: this.lengths.subarray(b, b + 1),
    });
  }

  isEmpty(): boolean {
    return this.lengths.every((n) => n === 0);
  }

  /** Lengths once `t` more tokens are in (the decode kernel's view of the cache). */
  lengthsAfter(t: number): Int32Array {
    return this.lengths.map((n) => n + t);
  }

  /** Stores T new tokens' keys and values ([B, T, Hkv, D]) after each sequence's current end. */
  write(layer: number, k: Float32Array, v: Float32Array, T: number): void {
    const { numKvHeads: H, headDim: D, maxT } = this;
    const dst = this.layers[layer]!;
    for (let b = 0; b < this.batch; b++) {
      const start = this.lengths[b]!;
      if (start + T > maxT) throw new RangeError(`KV cache full: sequence ${b} holds ${start} tokens, ${T} more exceed maxT = ${maxT}`);
      for (let t = 0; t < T; t++) {
        for (let h = 0; h < H; h++) {
          const from = ((b * T + t) * H + h) * D;
          const to = ((b * H + h) * maxT + start + t) * D;
          dst.k.set(k.subarray(from, from + D), to);
          dst.v.set(v.subarray(from, from + D), to);
        }
      }
    }
  }

  /** Called once all layers have written: the new tokens now count. */
  advance(t: number): void {
    for (let b = 0; b < this.batch; b++) this.lengths[b]! += t;
  }

  /** Forget everything (the memory is reused). */
  reset(): void {
    this.lengths.fill(0);
  }
}
