// The differentiable ops: each forward beside its hand-derived backward. Heavy work goes to
// `kernels` (native or TypeScript); the loops here are O(elements) bookkeeping. Backward closures
// keep references to their inputs' data (never copies), so ops never modify an input in place.
// Grads follow autograd.ts: `gradOf` for kernels that accumulate, `addGrad` for fresh buffers
// (adopted without a copy when the input has no gradient yet). dy arrives owned, so a backward
// may overwrite it.
import { kernels } from '../kernels/index.js';
import { Tensor, copyOf, formatShape, numel, resolveShape, uninitialized } from './tensor.js';
import { addGrad, freshGrad, gradOf, needsGrad, record } from './autograd.js';
import { addRows, checkTrainable, f32, lastDim, opError, sameShape, sumRowsInto } from './check.js';

// ---- shape --------------------------------------------------------------------------------------

/** The same data under another shape (one −1 inferred); the gradient flows back to x. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const out = new Tensor(x.data, resolveShape(shape, x.numel, 'reshape'));
  // Same element order, so dy is dx as is.
  return record('reshape', out, [x], (dy) => addGrad(x, dy));
}

// ---- elementwise --------------------------------------------------------------------------------

/** a + b, same shape. */
export function add(a: Tensor, b: Tensor): Tensor {
  if (!sameShape(a.shape, b.shape)) throw opError('add', `shapes differ: ${a.label()} vs ${b.label()}`);
  const ad = f32('add', 'a', a);
  const bd = f32('add', 'b', b);
  const y = uninitialized(ad.length);
  kernels.add(y.length, ad, bd, y);
  return record('add', new Tensor(y, a.shape), [a, b], (dy) => {
    // Both receive dy unchanged: one may adopt dy itself, the other needs its own copy.
    if (b.requiresGrad) addGrad(b, a.requiresGrad ? copyOf(dy) : dy);
    addGrad(a, dy);
  });
}

/** a · s for a constant s. */
export function scale(a: Tensor, s: number): Tensor {
  const ad = f32('scale', 'a', a);
  const y = uninitialized(ad.length);
  kernels.scale(y.length, ad, s, y);
  return record('scale', new Tensor(y, a.shape), [a], (dy) => {
    kernels.scale(dy.length, dy, s, dy);
    addGrad(a, dy);
  });
}

/** a ∘ b elementwise, same shape. */
export function mul(a: Tensor, b: Tensor): Tensor {
  if (!sameShape(a.shape, b.shape)) throw opError('mul', `shapes differ: ${a.label()} vs ${b.label()}`);
  const ad = f32('mul', 'a', a);
  const bd = f32('mul', 'b', b);
  const y = uninitialized(ad.length);
  for (let i = 0; i < y.length; i++) y[i] = ad[i]! * bd[i]!;
  return record('mul', new Tensor(y, a.shape), [a, b], (dy) => {
    if (b.requiresGrad) { // db = dy ∘ a, before dy is reused for da
      const db = new Float32Array(dy.length);
      for (let i = 0; i < dy.length; i++) db[i] = dy[i]! * ad[i]!;
      addGrad(b, db);
    }
    if (a.requiresGrad) {
      for (let i = 0; i < dy.length; i++) dy[i]! *= bd[i]!;
      addGrad(a, dy);
    }
  });
}

/**
 * dst = src ∘ mask / (1 − p) with mask[i] = (u_i >= p), u_i the i-th Mulberry32 draw from seed.
 * The same (p, seed) always gives the same mask, so backward regenerates it instead of storing it.
 */
function applyDropout(src: Float32Array, dst: Float32Array, p: number, seed: number): void {
  const keepScale = 1 / (1 - p);
  let state = seed >>> 0;
  for (let i = 0; i < src.length; i++) {
    state = (state + 0x6d2b79f5) >>> 0; // Mulberry32, inlined: no call per element
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    dst[i] = u >= p ? src[i]! * keepScale : 0;
  }
}

/**
 * Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1−p).
 * The mask is a pure function of (seed, element index): callers pass a fresh seed per step and
 * call site (and the same one when a checkpointed block re-runs). p = 0 returns x itself.
 */
export function dropout(x: Tensor, p: number, seed: number): Tensor {
  if (!(p >= 0 && p < 1)) throw opError('dropout', `p must be in [0, 1), got ${p}`);
  if (!Number.isInteger(seed)) throw opError('dropout', `seed must be an integer, got ${seed}`);
  if (p === 0) return x;
  const xd = f32('dropout', 'x', x);
  const y = uninitialized(xd.length);
  applyDropout(xd, y, p, seed);
  return record('dropout', new Tensor(y, x.shape), [x], (dy) => {
    applyDropout(dy, dy, p, seed); // d(x·m·k)/dx = m·k: the same mask
    addGrad(x, dy);
  });
}

// ---- linear -------------------------------------------------------------------------------------

/**
 * y = x·Wᵀ + b. x: [..., in] fp32; W: [out, in] fp32 or bf16 (frozen); bias: [out] or null.
 * LoRA composes from it: add(linear(x, W), scale(linear(linear(dropout(x, p, seed), A), B), s)).
 */
export function linear(x: Tensor, w: Tensor, bias: Tensor | null = null, into?: Float32Array): Tensor {
  if (w.shape.length !== 2) throw opError('linear', `W must be [out, in], got ${w.label()}`);
  const outF = w.shape[0]!;
  const inF = w.shape[1]!;
  if (x.shape.length < 1 || lastDim(x) !== inF || inF === 0) {
    throw opError('linear', `x ${x.label()} does not fit W ${w.label()}: x's last dim must be W's in-features ${inF}`);
  }
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== outF)) {
    throw opError('linear', `bias ${bias.label()} must be [${outF}] for W ${w.label()}`);
  }
  checkTrainable('linear', 'W', w);
  const xd = f32('linear', 'x', x);
  const bd = bias ? f32('linear', 'bias', bias) : null;
  const rows = xd.length / inF;
  // `into` lets a caller reuse one large buffer (the vocabulary-sized logits) across steps.
  const y = into && into.length === rows * outF ? into : uninitialized(rows * outF);
  kernels.gemm(false, true, rows, outF, inF, 1, xd, w.data, 0, y);
  if (bd) addRows(y, bd, rows, outF);
  const out = new Tensor(y, [...x.shape.slice(0, -1), outF]);
  return record('linear', out, bias ? [x, w, bias] : [x, w], (dy) => {
    if (x.requiresGrad) { // dx += dy·W (dx = dy·W into a fresh buffer when x has no gradient yet)
      const fresh = x.grad === null;
      kernels.gemm(false, false, rows, inF, outF, 1, dy, w.data, fresh ? 0 : 1, fresh ? freshGrad(x) : x.grad!);
    }
    if (w.requiresGrad) { // dW += dyᵀ·x
      kernels.gemm(true, false, outF, inF, rows, 1, dy, xd, 1, gradOf(w));
    }
    if (bias?.requiresGrad) sumRowsInto(gradOf(bias), dy, rows, outF); // db += Σ_rows dy
  });
}

/**
 * The rows of x [N, C] at the given indices (ascending, distinct) → [rows.length, C]; the
 * gradient goes back to those rows, zeros to the others. Training uses it to run the LM head
 * only at positions that have a target.
 */
export function gatherRows(x: Tensor, rows: Int32Array): Tensor {
  const C = lastDim(x);
  const xd = f32('gatherRows', 'x', x);
  const N = C === 0 ? 0 : xd.length / C;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (!(r >= 0 && r < N) || (i > 0 && r <= rows[i - 1]!)) {
      throw opError('gatherRows', `rows[${i}] = ${r} must be ascending, distinct and within 0..${N - 1} (x ${x.label()})`);
    }
  }
  const y = uninitialized(rows.length * C);
  for (let i = 0; i < rows.length; i++) y.set(xd.subarray(rows[i]! * C, (rows[i]! + 1) * C), i * C);
  const out = new Tensor(y, [rows.length, C]);
  if (!needsGrad(x)) return out;
  const saved = rows.slice();
  return record('gatherRows', out, [x], (dy) => {
    const dx = new Float32Array(xd.length);
    for (let i = 0; i < saved.length; i++) dx.set(dy.subarray(i * C, (i + 1) * C), saved[i]! * C);
    addGrad(x, dx);
  });
}

// ---- embedding ----------------------------------------------------------------------------------

/**
 * out[i, :] = table[ids[i], :]. table: [V, C] fp32 or bf16 (frozen); out: [...idsShape, C]
 * (idsShape defaults to [ids.length]). Backward scatter-adds into table.grad when trainable.
 */
export function embedding(table: Tensor, ids: Int32Array, idsShape: readonly number[] = [ids.length]): Tensor {
  if (table.shape.length !== 2) throw opError('embedding', `table must be [V, C], got ${table.label()}`);
  const V = table.shape[0]!;
  const C = table.shape[1]!;
  if (numel(idsShape) !== ids.length) {
    throw opError('embedding', `idsShape ${formatShape(idsShape)} does not hold ${ids.length} ids`);
  }
  checkTrainable('embedding', 'table', table);
  const N = ids.length;
  const y = uninitialized(N * C);
  kernels.embeddingForward(N, C, V, table.data, ids, y);
  const out = new Tensor(y, [...idsShape, C]);
  if (!needsGrad(table)) return out;
  const savedIds = ids.slice(); // the caller may refill its id buffer before backward
  return record('embedding', out, [table], (dy) => {
    kernels.embeddingBackward(N, C, V, savedIds, dy, gradOf(table));
  });
}

// ---- transformer ops ----------------------------------------------------------------------------

/** RMSNorm over the last dim: y = x / sqrt(mean(x²) + eps) · w. x: [..., C]; w: [C] (fp32 or bf16 frozen). */
export function rmsnorm(x: Tensor, w: Tensor, eps: number): Tensor {
  const C = lastDim(x);
  if (x.shape.length < 1 || w.shape.length !== 1 || w.shape[0] !== C || C === 0) {
    throw opError('rmsnorm', `w ${w.label()} must be [C] with C the last dim of x ${x.label()}`);
  }
  checkTrainable('rmsnorm', 'w', w);
  const xd = f32('rmsnorm', 'x', x);
  const N = xd.length / C;
  const y = uninitialized(xd.length);
  const rstd = new Float32Array(N); // 1/rms per row, kept for backward
  kernels.rmsnormForward(N, C, eps, xd, w.data, y, rstd);
  return record('rmsnorm', new Tensor(y, x.shape), [x, w], (dy) => {
    const dx = uninitialized(xd.length); // the kernel overwrites dx (and needs one even when x is frozen)
    kernels.rmsnormBackward(N, C, xd, w.data, rstd, dy, dx, w.requiresGrad ? gradOf(w) : null);
    addGrad(x, dx);
  });
}

/**
 * Rotary embedding (HF rotate_half). x: [..., H, D] with one position per leading index:
 * positions.length = numel / (H·D); cos, sin: [maxPos × D/2]. Backward rotates dy by −angle.
 */
export function rope(x: Tensor, positions: Int32Array, cos: Float32Array, sin: Float32Array): Tensor {
  if (x.shape.length < 2) throw opError('rope', `x must be [..., H, D], got ${x.label()}`);
  const H = x.shape[x.shape.length - 2]!;
  const D = x.shape[x.shape.length - 1]!;
  const xd = f32('rope', 'x', x);
  if (D % 2 !== 0 || D === 0 || H === 0) throw opError('rope', `head dim must be even and non-zero, x is ${x.label()}`);
  const N = xd.length / (H * D);
  if (positions.length !== N) {
    throw opError('rope', `x ${x.label()} has ${N} rows of [H, D] but positions has ${positions.length}`);
  }
  const half = D / 2;
  if (cos.length !== sin.length || cos.length % half !== 0) {
    throw opError('rope', `cos (${cos.length}) and sin (${sin.length}) must both be [maxPos × ${half}]`);
  }
  const maxPos = cos.length / half;
  for (let n = 0; n < N; n++) {
    const p = positions[n]!;
    if (p < 0 || p >= maxPos) throw opError('rope', `position ${p} at row ${n} is outside the tables' [0, ${maxPos})`);
  }
  const y = copyOf(xd); // the kernel rotates in place
  kernels.rope(N, H, D, y, positions, cos, sin, false);
  if (!needsGrad(x)) return new Tensor(y, x.shape);
  const savedPositions = positions.slice();
  return record('rope', new Tensor(y, x.shape), [x], (dy) => {
    kernels.rope(N, H, D, dy, savedPositions, cos, sin, true); // a rotation's inverse is its transpose
    addGrad(x, dy);
  });
}

export interface AttentionOptions {
  /** Score scale; default 1/sqrt(D). */
  scale?: number;
  /** Int32Array [B·T]: query t of sequence b sees keys segStart[b·T+t] <= j <= t (packed documents). */
  segStart?: Int32Array | null;
}

/**
 * Causal grouped-query attention. q: [B, T, Hq, D]; k, v: [B, T, Hkv, D], Hq a multiple of Hkv
 * (query head h reads kv head floor(h / (Hq/Hkv))). Returns [B, T, Hq, D]; keeps out and the
 * per-query log-sum-exp for the backward kernel.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  if (q.shape.length !== 4 || k.shape.length !== 4 || !sameShape(k.shape, v.shape)) {
    throw opError('attention', `expected q [B, T, Hq, D] and k, v [B, T, Hkv, D], got q ${q.label()}, k ${k.label()}, v ${v.label()}`);
  }
  const [B, T, Hq, D] = q.shape as [number, number, number, number];
  const Hkv = k.shape[2]!;
  if (k.shape[0] !== B || k.shape[1] !== T || k.shape[3] !== D || Hkv === 0 || Hq % Hkv !== 0) {
    throw opError('attention', `q ${q.label()} does not fit k, v ${k.label()}: need the same B, T, D and Hq a multiple of Hkv`);
  }
  const segStart = options.segStart ?? null;
  if (segStart !== null && segStart.length !== B * T) {
    throw opError('attention', `segStart has ${segStart.length} entries, expected B·T = ${B * T}`);
  }
  const scale = options.scale ?? 1 / Math.sqrt(D);
  const qd = f32('attention', 'q', q);
  const kd = f32('attention', 'k', k);
  const vd = f32('attention', 'v', v);
  const out = uninitialized(qd.length);
  const lse = uninitialized(B * Hq * T);
  kernels.attentionForward(B, T, Hq, Hkv, D, scale, qd, kd, vd, segStart, out, lse);
  if (!needsGrad(q, k, v)) return new Tensor(out, q.shape);
  const savedSegStart = segStart && segStart.slice();
  return record('attention', new Tensor(out, q.shape), [q, k, v], (dout) => {
    const dq = uninitialized(qd.length);
    const dk = uninitialized(kd.length);
    const dv = uninitialized(vd.length);
    kernels.attentionBackward(B, T, Hq, Hkv, D, scale, qd, kd, vd, savedSegStart, out, lse, dout, dq, dk, dv);
    addGrad(q, dq);
    addGrad(k, dk);
    addGrad(v, dv);
  });
}

/** h = silu(g) ∘ u, same shape (the gated MLP's activation). */
export function swiglu(g: Tensor, u: Tensor): Tensor {
  if (!sameShape(g.shape, u.shape)) throw opError('swiglu', `shapes differ: g ${g.label()} vs u ${u.label()}`);
  const gd = f32('swiglu', 'g', g);
  const ud = f32('swiglu', 'u', u);
  const h = uninitialized(gd.length);
  kernels.swigluForward(gd.length, gd, ud, h);
  return record('swiglu', new Tensor(h, g.shape), [g, u], (dh) => {
    const dg = uninitialized(gd.length);
    const du = uninitialized(ud.length);
    kernels.swigluBackward(gd.length, gd, ud, dh, dg, du);
    addGrad(g, dg);
    addGrad(u, du);
  });
}

export interface CrossEntropyOptions {
  /** 'mean' over non-ignored targets (HF / PyTorch), or 'sum'. Default 'mean'. */
  reduction?: 'mean' | 'sum';
  /**
   * Backward writes d(logits) over logits.data instead of a new [N×V] buffer (vocab-sized: 1.2 GB
   * for 2048 tokens × 152k vocab). Only when nothing reads these logits after the loss: neither
   * the caller nor the backward of the op that made them (linear, reshape, scale, add are safe).
   */
  reuseLogits?: boolean;
}

/**
 * Cross-entropy of logits [..., V] against targets Int32Array (one per row; −100 = ignored) →
 * scalar tensor []. With every target ignored the loss and its gradient are 0 (PyTorch's mean gives
 * NaN; a batch with nothing to learn should not poison training).
 */
export function crossEntropy(logits: Tensor, targets: Int32Array, options: CrossEntropyOptions = {}): Tensor {
  const reduction = options.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum') throw opError('crossEntropy', `reduction must be 'mean' or 'sum', got ${String(reduction)}`);
  const V = lastDim(logits);
  const ld = f32('crossEntropy', 'logits', logits);
  if (logits.shape.length < 1 || V === 0 || ld.length / V !== targets.length) {
    throw opError('crossEntropy', `logits ${logits.label()} need one target per row, got ${targets.length} targets`);
  }
  const N = targets.length;
  const losses = new Float32Array(N);
  const lse = new Float32Array(N);
  kernels.crossEntropyForward(N, V, ld, targets, losses, lse);
  let total = 0; // float64: thousands of per-token losses
  let counted = 0;
  for (let i = 0; i < N; i++) {
    if (targets[i] === -100) continue;
    total += losses[i]!;
    counted++;
  }
  const perToken = reduction === 'sum' ? 1 : counted > 0 ? 1 / counted : 0;
  const out = new Tensor(new Float32Array([total * perToken]), []);
  if (!needsGrad(logits)) return out;
  const savedTargets = targets.slice();
  return record('crossEntropy', out, [logits], (dy) => {
    const dloss = new Float32Array(N).fill(dy[0]! * perToken); // ignored rows: the kernel writes zeros
    // Never for a leaf: its grad would alias its data.
    const inPlace = options.reuseLogits === true && logits.grad === null && logits.node !== null;
    const dlogits = inPlace ? ld : new Float32Array(ld.length);
    kernels.crossEntropyBackward(N, V, ld, savedTargets, lse, dloss, dlogits);
    addGrad(logits, dlogits);
  });
}
