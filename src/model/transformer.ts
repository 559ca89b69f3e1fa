// The decoder-only transformer shared by Llama, Qwen2, Qwen3 and Mistral: pre-norm blocks of
// grouped-query attention with rotary embeddings and a SwiGLU MLP. One forward serves training
// (autograd records it), prefill and cached decode (noGrad, with a KV cache).
import { kernels } from '../kernels/index.js';
import { Tensor } from '../tensor/tensor.js';
import { add, attention, embedding, gatherRows, linear, reshape, rmsnorm, rope, swiglu } from '../tensor/ops.js';
import { checkpoint } from '../tensor/autograd.js';
import type { ModelConfig } from './config.js';
import { ropeTables, type RopeTables } from './rope.js';
import type { RawTensor } from './weights.js';
import { KVCache } from './kv-cache.js';

/**
 * Replaces a projection (LoRA lives here): given the module name, its input, weight and bias, it
 * returns the output, or null to leave the plain linear layer in place.
 */
export type ProjectionHook = (name: string, x: Tensor, weight: Tensor, bias: Tensor | null) => Tensor | null;

export interface ForwardOptions {
  /** Position of every token, [B·T]; default 0..T-1 per sequence (or continuing the cache). */
  positions?: Int32Array;
  /** Packed documents: token t sees keys j with segStart[t] <= j <= t (see the attention kernel). */
  segStart?: Int32Array;
  /** Compute logits only for the last position of each sequence (generation). */
  lastOnly?: boolean;
  /** Compute logits only at this position (0..T-1) of each sequence: right-padded prompts. */
  lastPositions?: Int32Array;
  /**
   * Training: compute logits only at these rows of the [B·T] positions (ascending; those with a
   * target), [rows.length, V]. The same values as those rows of the full head, to the bit
   * unless fewer rows move a GEMM to another path (8 rows or fewer stream; the head's backward
   * may switch to the k split), whose sums are ordered differently.
   */
  logitRows?: Int32Array;
  /** Decode against this cache: T new tokens per sequence are appended (prefill when empty). */
  cache?: KVCache;
  /** Gradient checkpointing: keep only each layer's input, recompute the layer in backward. */
  checkpoint?: boolean;
  /**
   * Write the logits into a buffer the model keeps and reuses (training: a vocabulary-sized
   * array is not faulted in afresh every step). The previous call's logits are overwritten.
   */
  reuseLogitsBuffer?: boolean;
}

/** What every layer of one forward call shares. */
interface LayerContext {
  B: number;
  T: number;
  positions: Int32Array;
  cos: Float32Array;
  sin: Float32Array;
  segStart: Int32Array | undefined;
  cache: KVCache | null;
}

export class Transformer {
  readonly params: Map<string, Tensor>;
  /** LoRA and similar adapters attach here. */
  projectionHook: ProjectionHook | null = null;
  private rope: RopeTables;
  private logitsBuffer: Float32Array | null = null;

  constructor(readonly config: ModelConfig, weights: Map<string, RawTensor>) {
    this.params = new Map();
    for (const [name, t] of weights) this.params.set(name, new Tensor(t.data, t.shape, { name }));
    this.rope = ropeTables(config, Math.min(config.maxPositions, 4096));
  }

  param(name: string): Tensor {
    const p = this.params.get(name);
    if (!p) throw new Error(`model has no parameter '${name}'`);
    return p;
  }

  /** The output projection (the embedding table when tied). */
  head(): Tensor {
    return this.config.tieEmbeddings ? this.param('model.embed_tokens.weight') : this.param('lm_head.weight');
  }

  private optional(name: string): Tensor | null {
    return this.params.get(name) ?? null;
  }

  /** Rotary tables cover at least `n` positions (grown on demand: a long prompt never fails). */
  private ropeFor(n: number): RopeTables {
    if (n > this.rope.maxPos) this.rope = ropeTables(this.config, Math.max(n, 2 * this.rope.maxPos));
    return this.rope;
  }

  private project(x: Tensor, name: string): Tensor {
    const w = this.param(`${name}.weight`);
    const bias = this.optional(`${name}.bias`);
    return this.projectionHook?.(name, x, w, bias) ?? linear(x, w, bias);
  }

  /**
   * ids: [B·T] token ids of B sequences of T tokens. Returns logits [B·T, V] (or [B, V] with
   * lastOnly or lastPositions, [rows, V] with logitRows).
   */
  forward(ids: Int32Array, B: number, T: number, options: ForwardOptions = {}): Tensor {
    const c = this.config;
    if (ids.length !== B * T) throw new RangeError(`forward: ${ids.length} ids for B=${B}, T=${T}`);
    const cache = options.cache ?? null;
    const positions = options.positions ?? defaultPositions(B, T, cache);
    let maxPos = 0;
    for (let i = 0; i < positions.length; i++) maxPos = Math.max(maxPos, positions[i]!);
    const { cos, sin } = this.ropeFor(maxPos + 1);
    const segStart = options.segStart ?? slidingWindowStarts(B, T, c.slidingWindow);

    const ctx: LayerContext = { B, T, positions, cos, sin, segStart, cache };
    let h = embedding(this.param('model.embed_tokens.weight'), ids, [B * T]);
    for (let l = 0; l < c.numLayers; l++) {
      h = options.checkpoint && !cache
        ? checkpoint((input) => this.layer(l, input, ctx), [h])
        : this.layer(l, h, ctx);
    }
    if (cache) cache.advance(T);
    if (options.lastPositions) h = rowsAt(h, B, T, options.lastPositions);
    else if (options.lastOnly) h = rowsAt(h, B, T, new Int32Array(B).fill(T - 1));
    h = rmsnorm(h, this.param('model.norm.weight'), c.rmsNormEps);
    // After the norm, so the norm and its backward see every row as before.
    if (options.logitRows) h = gatherRows(h, options.logitRows);
    const head = this.head();
    let out: Float32Array | undefined;
    if (options.reuseLogitsBuffer) {
      const n = (h.numel / c.hiddenSize) * c.vocabSize;
      if (!this.logitsBuffer || this.logitsBuffer.length < n) this.logitsBuffer = new Float32Array(n);
      out = this.logitsBuffer.subarray(0, n);
    }
    return linear(h, head, null, out);
  }

  /** One pre-norm block: h + attention(norm(h)), then + mlp(norm(·)). */
  private layer(l: number, h: Tensor, ctx: LayerContext): Tensor {
    const c = this.config;
    const { B, T, positions, cos, sin, segStart, cache } = ctx;
    const p = `model.layers.${l}.`;
    const x = rmsnorm(h, this.param(`${p}input_layernorm.weight`), c.rmsNormEps);
    let q = reshape(this.project(x, `${p}self_attn.q_proj`), [B * T, c.numHeads, c.headDim]);
    let k = reshape(this.project(x, `${p}self_attn.k_proj`), [B * T, c.numKvHeads, c.headDim]);
    const v = this.project(x, `${p}self_attn.v_proj`);
    if (c.qkNorm) {
      q = rmsnorm(q, this.param(`${p}self_attn.q_norm.weight`), c.rmsNormEps);
      k = rmsnorm(k, this.param(`${p}self_attn.k_norm.weight`), c.rmsNormEps);
    }
    q = rope(q, positions, cos, sin);
    k = rope(k, positions, cos, sin);
    const o = cache
      ? cachedAttention(cache, l, B, T, c, q, k, v, segStart)
      : attention(
        reshape(q, [B, T, c.numHeads, c.headDim]),
        reshape(k, [B, T, c.numKvHeads, c.headDim]),
        reshape(v, [B, T, c.numKvHeads, c.headDim]),
        { scale: 1 / Math.sqrt(c.headDim), segStart },
      );
    h = add(h, this.project(reshape(o, [B * T, c.numHeads * c.headDim]), `${p}self_attn.o_proj`));
    const y = rmsnorm(h, this.param(`${p}post_attention_layernorm.weight`), c.rmsNormEps);
    const act = swiglu(this.project(y, `${p}mlp.gate_proj`), this.project(y, `${p}mlp.up_proj`));
    return add(h, this.project(act, `${p}mlp.down_proj`));
  }
}

function defaultPositions(B: number, T: number, cache: KVCache | null): Int32Array {
  const positions = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const start = cache ? cache.lengths[b]! : 0;
    for (let t = 0; t < T; t++) positions[b * T + t] = start + t;
  }
  return positions;
}

/** Mistral's sliding window as per-token first visible key (a query sees the last `window` keys). */
function slidingWindowStarts(B: number, T: number, window: number | null): Int32Array | undefined {
  if (window === null || T <= window) return undefined;
  const starts = new Int32Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) starts[b * T + t] = Math.max(0, t - window + 1);
  return starts;
}

/** Row positions[b] of each sequence b of h ([B·T, C]) → [B, C]. */
function rowsAt(h: Tensor, B: number, T: number, positions: Int32Array): Tensor {
  const rows = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const t = positions[b]!;
    if (!(t >= 0 && t < T)) throw new RangeError(`forward: lastPositions[${b}] = ${t} is outside 0..${T - 1}`);
    rows[b] = b * T + t;
  }
  return gatherRows(h, rows);
}

/**
 * Attention of T new tokens per sequence against the cache (inference only). The new keys and
 * values are written into the cache first; a single new token uses the decode kernel, a prompt
 * (prefill into an empty cache) the causal training kernel.
 */
function cachedAttention(
  cache: KVCache, layer: number, B: number, T: number, c: ModelConfig,
  q: Tensor, k: Tensor, v: Tensor, segStart: Int32Array | undefined,
): Tensor {
  const D = c.headDim;
  const qd = q.data as Float32Array;
  if (c.slidingWindow !== null && cache.lengths.some((n) => n + T > c.slidingWindow!)) {
    throw new Error(`cached decode past the sliding window (${c.slidingWindow} tokens) is not supported`);
  }
  cache.write(layer, k.data as Float32Array, v.data as Float32Array, T);
  const out = new Float32Array(B * T * c.numHeads * D);
  const scale = 1 / Math.sqrt(D);
  if (T === 1) {
    const lens = cache.lengthsAfter(1);
    const { k: kc, v: vc } = cache.layer(layer);
    kernels.attentionDecode(B, c.numHeads, c.numKvHeads, D, cache.maxT, scale, qd, kc, vc, lens, out);
  } else {
    if (!cache.isEmpty()) throw new Error('cached forward: several new tokens are only supported as the first (prefill) call');
    const lse = new Float32Array(B * c.numHeads * T);
    kernels.attentionForward(B, T, c.numHeads, c.numKvHeads, D, scale, qd, k.data as Float32Array, v.data as Float32Array, segStart ?? null, out, lse);
  }
  return new Tensor(out, [B * T, c.numHeads, D]);
}
