// Autograd and the differentiable ops:
//  1. every op's backward against central finite differences, on odd shapes;
//  2. the graph machinery: frozen weights, accumulation, zeroGrad, noGrad, freed graphs, errors;
//  3. a 2-layer pre-norm transformer (GQA, rotary, SwiGLU): finite differences, checkpointing
//     (bit-identical), and PyTorch's loss and gradients (scripts/fixtures/autograd.py).
//
// Finite differences: L = Σ out∘R for a fixed random R, accumulated in float64, so dL/dout = R
// and the analytic side is backward(out, R). The forward is fp32: each output carries ~6e-8
// relative rounding, which divided by 2h gives the FD noise floor. h = 1e-2 keeps that noise
// near 1e-5·|grad| while the truncation error (h²/6 · f''') stays around 1e-5 for these smooth
// ops, so we accept |analytic − fd| <= 1e-2·|fd| + 2e-3·max|grad| (+1e-6): loose against
// the noise, tight against any real mistake (a wrong sign, a missing term or factor is O(1)).
import { loraLinear } from '../src/tensor/lora-linear.js';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { assertClose, randn, rng, toBf16 } from './helpers.js';
import { Tensor, fromArray, numel, toF32, view, zeros } from '../src/tensor/tensor.js';
import { backward, checkpoint, isGradEnabled, noGrad, zeroGrad } from '../src/tensor/autograd.js';
import {
  add, attention, crossEntropy, dropout, embedding, linear, mul, reshape, rmsnorm, rope, scale, swiglu,
} from '../src/tensor/ops.js';

// ---- helpers ------------------------------------------------------------------------------------

let seedCounter = 1000;
function param(shape: number[], std = 1, name?: string): Tensor {
  return fromArray(randn(numel(shape), seedCounter++, std), shape, { requiresGrad: true, ...(name ? { name } : {}) });
}
function constant(shape: number[], std = 1): Tensor {
  return fromArray(randn(numel(shape), seedCounter++, std), shape);
}

interface FdOptions {
  h?: number;
  /** Elements perturbed per input (always including the first and last). */
  samples?: number;
  rtol?: number;
  /** Times max|grad| of that input. */
  atolScale?: number;
}

/** Checks d(Σ f()∘R)/d(input) for every input against central differences on a sample of elements. */
function checkGradients(what: string, f: () => Tensor, inputs: Tensor[], options: FdOptions = {}): void {
  const { h = 1e-2, samples = 12, rtol = 1e-2, atolScale = 2e-3 } = options;
  const probe = noGrad(f);
  const R = randn(probe.numel, 7, 1);
  for (const t of inputs) t.grad = null;
  backward(f(), R);
  const lossAt = (): number => {
    const out = noGrad(f).f32;
    let s = 0;
    for (let i = 0; i < out.length; i++) s += out[i]! * R[i]!;
    return s;
  };
  const pick = rng(99);
  inputs.forEach((t, which) => {
    const grad = t.grad;
    assert.ok(grad, `${what}: input ${which} ${t.label()} got no gradient`);
    let maxAbs = 0;
    for (const g of grad) maxAbs = Math.max(maxAbs, Math.abs(g));
    const data = t.f32;
    const n = data.length;
    const indices = new Set([0, n - 1]);
    while (indices.size < Math.min(samples, n)) indices.add(Math.floor(pick() * n));
    for (const i of indices) {
      const x0 = data[i]!;
      data[i] = x0 + h;
      const xp = data[i]!;
      const lp = lossAt();
      data[i] = x0 - h;
      const xm = data[i]!;
      const lm = lossAt();
      data[i] = x0;
      const fd = (lp - lm) / (xp - xm); // the fp32-rounded step actually taken
      const err = Math.abs(grad[i]! - fd);
      const tol = rtol * Math.abs(fd) + atolScale * maxAbs + 1e-6;
      assert.ok(err <= tol, `${what}: d/d input ${which} ${t.label()} [${i}]: analytic ${grad[i]}, finite difference ${fd} (|diff| ${err.toExponential(2)} > ${tol.toExponential(2)})`);
    }
  });
  for (const t of inputs) t.grad = null;
}

function positionsFor(n: number, maxPos: number, seed: number): Int32Array {
  const r = rng(seed);
  return Int32Array.from({ length: n }, () => Math.floor(r() * maxPos));
}

/** HF rotary tables: inv_freq in fp32, angle = p·inv_freq in fp32. */
function ropeTables(D: number, maxPos: number, theta = 10000): { cos: Float32Array; sin: Float32Array } {
  const half = D / 2;
  const cos = new Float32Array(maxPos * half);
  const sin = new Float32Array(maxPos * half);
  for (let p = 0; p < maxPos; p++) {
    for (let i = 0; i < half; i++) {
      const inv = Math.fround(1 / Math.fround(theta ** Math.fround((2 * i) / D)));
      const angle = Math.fround(p * inv);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

// ---- 1. every op against finite differences ----------------------------------------------------

describe('op gradients (central finite differences)', () => {
  test('reshape passes the gradient through to its source', () => {
    const x = param([3, 43]);
    const w = constant([129]);
    checkGradients('reshape', () => mul(reshape(x, [-1]), w), [x]);
    const y = reshape(reshape(x, [43, 3]), [129]);
    backward(y, new Float32Array(129).fill(2));
    assert.deepEqual([...x.grad!], new Array(129).fill(2));
  });

  test('add, scale, mul (also with the same tensor on both sides)', () => {
    const a = param([7, 129]);
    const b = param([7, 129]);
    checkGradients('add', () => add(a, b), [a, b]);
    checkGradients('scale', () => scale(a, -0.37), [a]);
    checkGradients('mul', () => mul(a, b), [a, b]);
    checkGradients('add(a, a)', () => add(a, a), [a]);
    checkGradients('mul(a, a)', () => mul(a, a), [a]);
    const one = param([1]);
    checkGradients('mul [1]', () => mul(one, scale(one, 3)), [one]);
  });

  test('dropout: inverted scaling, a mask that is a function of the seed, exact gradient', () => {
    const n = 20000;
    const x = fromArray(new Float32Array(n).fill(1), [n], { requiresGrad: true });
    const y = dropout(x, 0.25, 42).f32;
    let zeros = 0;
    for (const v of y) {
      if (v === 0) zeros++;
      else assert.equal(v, Math.fround(1 / 0.75));
    }
    assert.ok(Math.abs(zeros / n - 0.25) < 0.015, `dropped ${zeros / n}`);
    assert.deepEqual(dropout(x, 0.25, 42).f32, y, 'same seed, same mask');
    assert.notDeepEqual(dropout(x, 0.25, 43).f32, y, 'another seed, another mask');
    assert.equal(dropout(x, 0, 42), x, 'p = 0 is the identity');
    const z = param([7, 129]);
    checkGradients('dropout', () => dropout(z, 0.3, 5), [z]);
    assert.throws(() => dropout(z, 1, 5), /dropout: p must be in \[0, 1\)/);
  });

  test('linear: x and W, with and without bias, 2-D and 3-D x, tiny and odd sizes', () => {
    const x = param([7, 129]);
    const w = param([5, 129], 0.1);
    const b = param([5]);
    checkGradients('linear+bias', () => linear(x, w, b), [x, w, b]);
    const x3 = param([2, 7, 9]);
    const w3 = param([13, 9]);
    checkGradients('linear 3-D', () => linear(x3, w3), [x3, w3]);
    assert.deepEqual(linear(x3, w3).shape, [2, 7, 13]);
    const x1 = param([1, 1]);
    const w1 = param([1, 1]);
    const b1 = param([1]);
    checkGradients('linear 1×1', () => linear(x1, w1, b1), [x1, w1, b1]);
  });

  test('linear with a frozen bf16 weight: dx only, W gets no gradient; dx skipped when x is frozen', () => {
    const x = param([7, 33]);
    const wf32 = randn(11 * 33, 5, 0.2);
    const w = new Tensor(toBf16(wf32), [11, 33], { name: 'W' });
    checkGradients('linear bf16 W', () => linear(x, w), [x]);
    backward(linear(x, w), randn(77, 1));
    assert.equal(w.grad, null);
    const frozenX = constant([7, 33]);
    const trainable = param([11, 33]);
    backward(linear(frozenX, trainable), randn(77, 2));
    assert.equal(frozenX.grad, null);
    assert.ok(trainable.grad);
    assert.throws(() => { w.requiresGrad = true; linear(x, w); }, /linear: W 'W' \[11, 33\] is bf16 but requires grad/);
  });

  test('LoRA composition: y = x·Wᵀ + s·B(A(dropout(x))) with W frozen, A and B trainable', () => {
    const x = param([7, 9]);
    const w = new Tensor(toBf16(randn(6 * 9, 11, 0.3)), [6, 9]);
    const A = param([2, 9], 0.3);
    const B = param([6, 2], 0.3); // non-zero (LoRA starts B at 0, which would hide A's gradient)
    const lora = (): Tensor => add(linear(x, w), scale(linear(linear(dropout(x, 0.1, 77), A), B), 2));
    checkGradients('lora', lora, [x, A, B]);
    backward(lora(), randn(42, 3));
    assert.equal(w.grad, null);
    assert.ok(A.grad && B.grad);
  });

  test('fused loraLinear: finite differences, and equal to the composed ops', () => {
    const x = param([7, 9]);
    const w = new Tensor(toBf16(randn(6 * 9, 12, 0.3)), [6, 9]);
    const bias = param([6], 0.2);
    const A = param([2, 9], 0.3);
    const B = param([6, 2], 0.3);
    const fused = (): Tensor => loraLinear(x, w, bias, A, B, 2, dropout(x, 0.1, 77));
    checkGradients('loraLinear', fused, [x, bias, A, B]);
    const composed = (): Tensor => add(linear(x, w, bias), scale(linear(linear(dropout(x, 0.1, 77), A), B), 2));
    const yf = fused().data as Float32Array;
    const yc = composed().data as Float32Array;
    for (let i = 0; i < yf.length; i++) assert.ok(Math.abs(yf[i]! - yc[i]!) < 1e-5, `y[${i}]`);
    const w0 = param([6, 9], 0.3);
    checkGradients('loraLinear, trainable W, no bias', () => loraLinear(x, w0, null, A, B, 0.5), [x, w0, A, B]);
  });

  test('rmsnorm: x and w; frozen bf16 w', () => {
    const x = param([7, 129]);
    const w = param([129], 0.5);
    checkGradients('rmsnorm', () => rmsnorm(x, w, 1e-6), [x, w]);
    const x1 = param([3, 1]);
    const w1 = param([1]);
    checkGradients('rmsnorm C=1', () => rmsnorm(x1, w1, 1e-2), [x1, w1]);
    const wb = new Tensor(toBf16(randn(129, 3, 0.5)), [129]);
    checkGradients('rmsnorm bf16 w', () => rmsnorm(x, wb, 1e-6), [x]);
    assert.equal(wb.grad, null);
  });

  test('rope: [N, H, D] and [B, T, H, D]; the input is left unchanged', () => {
    const { cos, sin } = ropeTables(8, 16);
    const x = param([7, 3, 8]);
    const pos = positionsFor(7, 16, 1);
    const before = x.f32.slice();
    checkGradients('rope', () => rope(x, pos, cos, sin), [x]);
    rope(x, pos, cos, sin);
    assert.deepEqual(x.f32, before);
    const t6 = ropeTables(6, 9);
    const x4 = param([2, 7, 2, 6]);
    checkGradients('rope 4-D', () => rope(x4, positionsFor(14, 9, 2), t6.cos, t6.sin), [x4]);
  });

  test('attention: GQA, packed segments, T = 1', () => {
    const q = param([2, 7, 4, 8]);
    const k = param([2, 7, 2, 8]);
    const v = param([2, 7, 2, 8]);
    checkGradients('attention', () => attention(q, k, v), [q, k, v]);
    const segStart = Int32Array.from([0, 0, 0, 3, 3, 3, 3, 0, 0, 2, 2, 2, 2, 6]);
    checkGradients('attention segStart', () => attention(q, k, v, { scale: 0.3, segStart }), [q, k, v]);
    const q1 = param([1, 1, 1, 3]);
    const k1 = param([1, 1, 1, 3]);
    const v1 = param([1, 1, 1, 3]);
    checkGradients('attention T=1', () => attention(q1, k1, v1), [q1, k1, v1]);
  });

  test('swiglu', () => {
    const g = param([7, 129], 2);
    const u = param([7, 129]);
    checkGradients('swiglu', () => swiglu(g, u), [g, u]);
  });

  test('embedding: scatter-add with repeated ids; frozen bf16 table', () => {
    const table = param([11, 7]);
    const ids = Int32Array.from([3, 0, 10, 3, 3, 5, 0]);
    checkGradients('embedding', () => embedding(table, ids), [table], { samples: 77 });
    assert.deepEqual(embedding(table, ids, [1, 7]).shape, [1, 7, 7]);
    const frozen = new Tensor(toBf16(randn(77, 4)), [11, 7]);
    const out = embedding(frozen, ids);
    assert.equal(out.requiresGrad, false);
    assert.deepEqual(out.f32.subarray(0, 7), toF32(frozen).subarray(21, 28));
  });

  test('crossEntropy: mean over non-ignored targets and sum; in-place logits gradient', () => {
    const logits = param([7, 129], 2);
    const targets = Int32Array.from([5, -100, 128, 0, -100, 64, 7]);
    checkGradients('crossEntropy mean', () => crossEntropy(logits, targets), [logits]);
    checkGradients('crossEntropy sum', () => crossEntropy(logits, targets, { reduction: 'sum' }), [logits]);
    // mean = sum / 5 non-ignored targets
    const mean = crossEntropy(logits, targets).f32[0]!;
    const sum = crossEntropy(logits, targets, { reduction: 'sum' }).f32[0]!;
    assert.ok(Math.abs(mean - sum / 5) < 1e-5 * sum);

    // reuseLogits: d(logits) overwrites the logits buffer; the gradient upstream is the same
    const x = param([7, 13]);
    const w = param([129, 13]);
    const run = (reuse: boolean): Float32Array => {
      x.grad = null;
      backward(crossEntropy(linear(x, w), targets, { reuseLogits: reuse }));
      return x.grad!.slice();
    };
    assert.deepEqual(run(true), run(false));

    const allIgnored = crossEntropy(logits, new Int32Array(7).fill(-100));
    assert.equal(allIgnored.f32[0], 0);
    logits.grad = null;
    backward(allIgnored);
    assert.ok(logits.grad!.every((g) => g === 0));
  });
});

// ---- 2. the graph machinery ---------------------------------------------------------------------

describe('autograd', () => {
  test('frozen params get no gradient; trainable ones accumulate over two backward calls; zeroGrad clears', () => {
    const x = constant([7, 9]);
    const frozen = fromArray(randn(5 * 9, 1), [5, 9]);
    const trainable = param([5, 9]);
    const bias = param([5]);
    const loss = (): Tensor => crossEntropy(linear(x, frozen), Int32Array.from([0, 1, 2, 3, 4, 0, 1]));
    const loss2 = (): Tensor => crossEntropy(add(linear(x, frozen), linear(x, trainable, bias)), Int32Array.from([0, 1, 2, 3, 4, 0, 1]));
    assert.throws(() => backward(loss()), /does not require grad/);
    backward(loss2());
    assert.equal(frozen.grad, null);
    assert.equal(x.grad, null);
    const once = trainable.grad!.slice();
    const bOnce = bias.grad!.slice();
    const buffer = trainable.grad;
    backward(loss2());
    assert.equal(trainable.grad, buffer, 'accumulates in the same buffer');
    assertClose(trainable.grad!, once.map((g) => 2 * g), { atol: 1e-7, rtol: 1e-6, what: 'dW twice' });
    assertClose(bias.grad!, bOnce.map((g) => 2 * g), { atol: 1e-7, rtol: 1e-6, what: 'db twice' });
    zeroGrad([trainable, bias, frozen]);
    assert.equal(trainable.grad, buffer, 'zeroGrad keeps the buffer');
    assert.ok(trainable.grad!.every((g) => g === 0) && bias.grad!.every((g) => g === 0));
    assert.equal(frozen.grad, null);
  });

  test('a shared input sums the gradients of all its uses', () => {
    const x = param([3, 5]);
    const w = param([5, 5]);
    // y = x + W(x) + x∘x: dx = R + R·W + 2x∘R
    checkGradients('fan-out', () => add(add(x, linear(x, w)), mul(x, x)), [x, w]);
  });

  test('noGrad records nothing, and restores grad mode even when fn throws', () => {
    const a = param([4]);
    const y = noGrad(() => scale(add(a, a), 2));
    assert.equal(y.requiresGrad, false);
    assert.equal(y.node, null);
    assert.throws(() => backward(y), /backward: tensor \[4\] does not require grad \(no input required grad, or it was computed under noGrad\)/);
    assert.throws(() => backward(y, new Float32Array(4)), /does not require grad/);
    assert.throws(() => noGrad(() => { throw new Error('inner'); }), /inner/);
    assert.equal(isGradEnabled(), true);
    assert.ok(scale(a, 2).node, 'recording again after noGrad');
  });

  test('a second backward through a freed graph throws a clear error', () => {
    const a = param([4]);
    const w = param([3, 4]);
    const y = linear(reshape(a, [1, 4]), w);
    backward(y, new Float32Array(3).fill(1));
    assert.throws(() => backward(y, new Float32Array(3).fill(1)), /backward: the graph through 'linear' \(output \[1, 3\]\) was already freed by an earlier backward\(\)/);
    // a new graph that reuses a freed intermediate fails the same way
    const z = reshape(a, [4]);
    backward(z, new Float32Array(4));
    assert.throws(() => backward(scale(z, 2), new Float32Array(4)), /already freed/);
    assert.throws(() => backward(scale(a, 2)), /backward: tensor \[4\] is not a scalar/);
    assert.throws(() => backward(scale(a, 2), new Float32Array(3)), /backward: grad has 3 elements but the tensor \[4\] has 4/);
  });

  test('shape mismatches throw errors that name the op and the shapes', () => {
    const x = constant([7, 5]);
    assert.throws(() => linear(x, constant([3, 4])), /linear: x \[7, 5\] does not fit W \[3, 4\]/);
    assert.throws(() => linear(x, constant([3, 5]), constant([4])), /linear: bias \[4\] must be \[3\] for W \[3, 5\]/);
    assert.throws(() => add(x, constant([5, 7])), /add: shapes differ: \[7, 5\] vs \[5, 7\]/);
    assert.throws(() => mul(x, constant([35])), /mul: shapes differ: \[7, 5\] vs \[35\]/);
    assert.throws(() => swiglu(x, constant([7, 4])), /swiglu: shapes differ: g \[7, 5\] vs u \[7, 4\]/);
    assert.throws(() => rmsnorm(x, constant([4]), 1e-6), /rmsnorm: w \[4\] must be \[C\] with C the last dim of x \[7, 5\]/);
    assert.throws(() => reshape(x, [6, -1]), /reshape: cannot view 35 elements as \[6, -1\]/);
    assert.throws(() => view(x, [36]), /view: cannot view 35 elements as \[36\]/);
    const { cos, sin } = ropeTables(4, 8);
    assert.throws(() => rope(constant([3, 2, 4]), new Int32Array(2), cos, sin), /rope: x \[3, 2, 4\] has 3 rows of \[H, D\] but positions has 2/);
    assert.throws(() => rope(constant([1, 2, 4]), Int32Array.from([8]), cos, sin), /rope: position 8 at row 0 is outside the tables' \[0, 8\)/);
    assert.throws(() => attention(constant([1, 3, 4, 2]), constant([1, 3, 3, 2]), constant([1, 3, 3, 2])), /attention: q \[1, 3, 4, 2\] does not fit k, v \[1, 3, 3, 2\]/);
    assert.throws(() => attention(constant([1, 3, 4, 2]), constant([1, 3, 2, 2]), constant([1, 3, 1, 2])), /attention: expected q \[B, T, Hq, D\]/);
    assert.throws(() => crossEntropy(x, new Int32Array(6)), /crossEntropy: logits \[7, 5\] need one target per row, got 6 targets/);
    assert.throws(() => embedding(constant([11]), new Int32Array(2)), /embedding: table must be \[V, C\], got \[11\]/);
    assert.throws(() => new Tensor(new Float32Array(5), [2, 3]), /data has 5 elements but shape \[2, 3\] needs 6/);
    assert.throws(() => new Tensor(new Uint16Array(2), [2], { requiresGrad: true }), /bf16 tensors are frozen weights/);
    assert.deepEqual(zeros([2, 0, 3]).shape, [2, 0, 3]);
    assert.equal(view(zeros([6]), [2, -1]).shape[1], 3);
  });
});

// ---- 3. a 2-layer transformer -------------------------------------------------------------------

interface BlockConfig {
  vocab: number; hidden: number; heads: number; kvHeads: number; headDim: number; ffn: number;
  layers: number; batch: number; seq: number; eps: number;
}

interface BlockInputs {
  ids: Int32Array;
  targets: Int32Array;
  positions: Int32Array;
  cos: Float32Array;
  sin: Float32Array;
}

function blockParamShapes(c: BlockConfig): Map<string, number[]> {
  const s = new Map<string, number[]>([['embed', [c.vocab, c.hidden]]]);
  for (let l = 0; l < c.layers; l++) {
    const p = `layers.${l}.`;
    s.set(p + 'attnNorm', [c.hidden]);
    s.set(p + 'q', [c.heads * c.headDim, c.hidden]);
    s.set(p + 'qBias', [c.heads * c.headDim]);
    s.set(p + 'k', [c.kvHeads * c.headDim, c.hidden]);
    s.set(p + 'kBias', [c.kvHeads * c.headDim]);
    s.set(p + 'v', [c.kvHeads * c.headDim, c.hidden]);
    s.set(p + 'vBias', [c.kvHeads * c.headDim]);
    s.set(p + 'o', [c.hidden, c.heads * c.headDim]);
    s.set(p + 'mlpNorm', [c.hidden]);
    s.set(p + 'gate', [c.ffn, c.hidden]);
    s.set(p + 'up', [c.ffn, c.hidden]);
    s.set(p + 'down', [c.hidden, c.ffn]);
  }
  s.set('finalNorm', [c.hidden]);
  s.set('lmHead', [c.vocab, c.hidden]);
  return s;
}

/** embedding → L × (pre-norm GQA attention with rope, pre-norm SwiGLU MLP) → rmsnorm → lm head → CE. */
function blockLoss(c: BlockConfig, P: Map<string, Tensor>, inp: BlockInputs, useCheckpoint = false): Tensor {
  const { batch: B, seq: T, heads: Hq, kvHeads: Hkv, headDim: D } = c;
  const W = (name: string): Tensor => P.get(name)!;
  const layer = (l: number) => (h: Tensor): Tensor => {
    const p = `layers.${l}.`;
    const x = rmsnorm(h, W(p + 'attnNorm'), c.eps);
    const q = rope(reshape(linear(x, W(p + 'q'), W(p + 'qBias')), [B, T, Hq, D]), inp.positions, inp.cos, inp.sin);
    const k = rope(reshape(linear(x, W(p + 'k'), W(p + 'kBias')), [B, T, Hkv, D]), inp.positions, inp.cos, inp.sin);
    const v = reshape(linear(x, W(p + 'v'), W(p + 'vBias')), [B, T, Hkv, D]);
    const o = reshape(attention(q, k, v, { scale: 1 / Math.sqrt(D) }), [B * T, Hq * D]);
    const h1 = add(h, linear(o, W(p + 'o')));
    const y = rmsnorm(h1, W(p + 'mlpNorm'), c.eps);
    return add(h1, linear(swiglu(linear(y, W(p + 'gate')), linear(y, W(p + 'up'))), W(p + 'down')));
  };
  let h = embedding(W('embed'), inp.ids);
  for (let l = 0; l < c.layers; l++) h = useCheckpoint ? checkpoint(layer(l), [h]) : layer(l)(h);
  const logits = linear(rmsnorm(h, W('finalNorm'), c.eps), W('lmHead'));
  return crossEntropy(logits, inp.targets);
}

function blockPositions(B: number, T: number): Int32Array {
  return Int32Array.from({ length: B * T }, (_, i) => i % T);
}

const smallBlock: BlockConfig = { vocab: 11, hidden: 12, heads: 4, kvHeads: 2, headDim: 4, ffn: 20, layers: 2, batch: 2, seq: 7, eps: 1e-6 };

function randomBlock(c: BlockConfig, seed: number): { P: Map<string, Tensor>; inp: BlockInputs } {
  const P = new Map<string, Tensor>();
  let s = seed;
  for (const [name, shape] of blockParamShapes(c)) {
    const n = numel(shape);
    const data = name.endsWith('Norm')
      ? randn(n, s++, 0.2).map((v) => 1 + v)
      : randn(n, s++, name.endsWith('Bias') ? 0.1 : 1 / Math.sqrt(shape[shape.length - 1]!));
    P.set(name, fromArray(data, shape, { requiresGrad: true, name }));
  }
  const r = rng(seed);
  const N = c.batch * c.seq;
  const ids = Int32Array.from({ length: N }, () => Math.floor(r() * c.vocab));
  const targets = Int32Array.from({ length: N }, (_, i) => (i % c.seq === c.seq - 1 || i === 2 ? -100 : ids[i + 1]!));
  return { P, inp: { ids, targets, positions: blockPositions(c.batch, c.seq), ...ropeTables(c.headDim, c.seq) } };
}

function gradsOf(P: Map<string, Tensor>): Map<string, Float32Array | null> {
  return new Map([...P].map(([name, t]) => [name, t.grad && t.grad.slice()]));
}

describe('2-layer transformer', () => {
  test('finite differences agree on a sample of every parameter', () => {
    const { P, inp } = randomBlock(smallBlock, 1);
    for (const [name, t] of P) {
      checkGradients(`block ${name}`, () => blockLoss(smallBlock, P, inp), [t], { samples: 3 });
    }
  });

  test('checkpointing each layer gives bit-identical gradients', () => {
    const { P, inp } = randomBlock(smallBlock, 2);
    const plainLoss = blockLoss(smallBlock, P, inp);
    backward(plainLoss);
    const plain = gradsOf(P);
    for (const t of P.values()) t.grad = null;
    const ckptLoss = blockLoss(smallBlock, P, inp, true);
    assert.equal(ckptLoss.f32[0], plainLoss.f32[0]);
    backward(ckptLoss);
    for (const [name, g] of gradsOf(P)) assert.deepEqual(g, plain.get(name), `grad of ${name}`);
  });

  test('checkpoint with a frozen base: captured trainable weights still get their gradients', () => {
    const { P, inp } = randomBlock(smallBlock, 3);
    for (const [name, t] of P) t.requiresGrad = name.endsWith('.v') || name.endsWith('.down');
    backward(blockLoss(smallBlock, P, inp));
    const plain = gradsOf(P);
    for (const t of P.values()) t.grad = null;
    backward(blockLoss(smallBlock, P, inp, true));
    for (const [name, g] of gradsOf(P)) {
      assert.deepEqual(g, plain.get(name), `grad of ${name}`);
      assert.equal(g === null, !(name.endsWith('.v') || name.endsWith('.down')), name);
    }
  });

  test('checkpoint rejects a tensor with history that fn reads without taking it as input', () => {
    const a = param([3]);
    const hidden = scale(a, 2);
    const y = checkpoint((x) => add(x, hidden), [constant([3])]);
    assert.throws(() => backward(y, new Float32Array(3).fill(1)), /checkpoint: fn read a tensor with autograd history \(made by 'scale', \[3\]\) that is not in its inputs/);
  });

  test('PyTorch: loss and the gradient of every weight (fixture)', () => {
    const fx = JSON.parse(readFileSync(new URL('../../test/fixtures/autograd/block.json', import.meta.url), 'utf8')) as {
      config: BlockConfig; ids: number[]; targets: number[]; cos: number[]; sin: number[];
      params: Record<string, { shape: number[]; data: number[] }>; loss: number; grads: Record<string, number[]>;
    };
    const c = fx.config;
    const P = new Map<string, Tensor>();
    for (const [name, { shape, data }] of Object.entries(fx.params)) {
      P.set(name, fromArray(Float32Array.from(data), shape, { requiresGrad: true, name }));
    }
    assert.deepEqual([...P.keys()], [...blockParamShapes(c).keys()]);
    const inp: BlockInputs = {
      ids: Int32Array.from(fx.ids), targets: Int32Array.from(fx.targets), positions: blockPositions(c.batch, c.seq),
      cos: Float32Array.from(fx.cos), sin: Float32Array.from(fx.sin),
    };
    // our rotary tables match torch's (HF's) to fp32 rounding
    const ours = ropeTables(c.headDim, c.seq);
    assertClose(ours.cos, inp.cos, { atol: 1e-7, rtol: 0, what: 'cos' });
    assertClose(ours.sin, inp.sin, { atol: 1e-7, rtol: 0, what: 'sin' });
    const loss = blockLoss(c, P, inp);
    assertClose(loss.f32, [fx.loss], { atol: 1e-5, rtol: 1e-5, what: 'loss' });
    backward(loss);
    for (const [name, t] of P) assertClose(t.grad!, fx.grads[name]!, { atol: 1e-5, rtol: 1e-5, what: `grad of ${name}` });
  });
});
