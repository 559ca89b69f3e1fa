// gemm / gemv: the TypeScript oracle against a naive float64 reference, then every native dispatch
// path (AVX-512, AVX2, scalar) against the TypeScript twin, over all transposes, fp32 and bf16 B,
// alpha/beta, and shapes chosen to hit every edge (small-m streaming paths, partial micro-tiles,
// k tails, several k slices, both thread splits).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachNativePath, nativeKernels, randn, toBf16, tsKernels } from './helpers.js';
import type { Kernels, Weights } from '../src/kernels/index.js';

type Shape = [m: number, n: number, k: number];

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function bf16ToF32(bits: number): number {
  u32[0] = bits << 16;
  return f32[0]!;
}
function valueAt(w: Weights, i: number): number {
  return w instanceof Float32Array ? w[i]! : bf16ToF32(w[i]!);
}

/** Naive float64 reference: the value and the tolerance scale |alpha|·Σ|a||b| + |beta·c| per element. */
function reference(
  transA: boolean, transB: boolean, [m, n, k]: Shape, alpha: number, a: Float32Array, b: Weights,
  beta: number, c0: Float32Array,
): { value: Float64Array; scale: Float64Array } {
  const value = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let sa = 0;
      for (let p = 0; p < k; p++) {
        const x = transA ? a[p * m + i]! : a[i * k + p]!;
        const y = valueAt(b, transB ? j * k + p : p * n + j);
        s += x * y;
        sa += Math.abs(x * y);
      }
      const old = beta === 0 ? 0 : beta * c0[i * n + j]!;
      value[i * n + j] = alpha * s + old;
      scale[i * n + j] = Math.abs(alpha) * sa + Math.abs(old);
    }
  }
  return { value, scale };
}

/** |actual − expected| <= rel·scale + 1e-30, elementwise, naming the worst element. */
function assertWithin(
  actual: Float32Array, expected: ArrayLike<number>, scale: ArrayLike<number>, rel: number, what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!(d <= rel * scale[i]! + 1e-30)) {
      assert.fail(`${what}[${i}] = ${actual[i]}, expected ${expected[i]} (scale ${scale[i]}, rel ${rel})`);
    }
  }
}

interface Case {
  transA: boolean;
  transB: boolean;
  shape: Shape;
  bf16: boolean;
  alpha: number;
  beta: number;
  a: Float32Array;
  b: Weights;
  c0: Float32Array;
  seed: number;
}

function makeCase(transA: boolean, transB: boolean, shape: Shape, bf16: boolean, alpha: number, beta: number, seed: number): Case {
  const [m, n, k] = shape;
  const a = randn(m * k, seed);
  const bf = randn(k * n, seed + 1);
  const b: Weights = bf16 ? toBf16(bf) : bf;
  const c0 = randn(m * n, seed + 2);
  // beta = 0 must ignore C entirely: plant NaN and Inf garbage.
  if (beta === 0) for (let i = 0; i < c0.length; i += 3) c0[i] = i % 2 ? NaN : Infinity;
  return { transA, transB, shape, bf16, alpha, beta, a, b, c0, seed };
}

function run(kern: Kernels, t: Case): Float32Array {
  const [m, n, k] = t.shape;
  const c = t.c0.slice();
  kern.gemm(t.transA, t.transB, m, n, k, t.alpha, t.a, t.b, t.beta, c);
  return c;
}

function label(t: Case, extra = ''): string {
  const [m, n, k] = t.shape;
  return `gemm(${t.transA ? 'T' : 'N'}${t.transB ? 'T' : 'N'}, ${m}×${n}×${k}, ${t.bf16 ? 'bf16' : 'f32'}, ` +
    `alpha ${t.alpha}, beta ${t.beta})${extra}`;
}

const TRANSPOSES: Array<[boolean, boolean]> = [[false, false], [false, true], [true, false], [true, true]];

test('TS gemm matches a naive float64 reference', () => {
  const shapes: Shape[] = [[1, 1, 1], [3, 5, 7], [7, 1, 129], [16, 9, 33]];
  let seed = 1;
  for (const [transA, transB] of TRANSPOSES) {
    for (const bf16 of [false, true]) {
      for (const shape of shapes) {
        for (const [alpha, beta] of [[1, 0], [0.5, 1], [-2, 0.25]] as const) {
          const t = makeCase(transA, transB, shape, bf16, alpha, beta, seed++);
          const ref = reference(transA, transB, shape, alpha, t.a, t.b, beta, t.c0);
          assertWithin(run(tsKernels, t), ref.value, ref.scale, 1e-6, label(t));
        }
      }
    }
  }
});

test('TS gemv matches a naive float64 reference', () => {
  for (const [rows, cols] of [[1, 1], [5, 17], [33, 130]] as const) {
    for (const bf16 of [false, true]) {
      for (const beta of [0, 1, 0.5]) {
        const wf = randn(rows * cols, rows + cols);
        const w: Weights = bf16 ? toBf16(wf) : wf;
        const x = randn(cols, 7);
        const y0 = randn(rows, 8);
        if (beta === 0) y0.fill(NaN);
        const y = y0.slice();
        tsKernels.gemv(rows, cols, w, x, beta, y);
        const want = new Float64Array(rows);
        const scale = new Float64Array(rows);
        for (let r = 0; r < rows; r++) {
          let s = 0;
          let sa = 0;
          for (let p = 0; p < cols; p++) {
            const v = valueAt(w, r * cols + p) * x[p]!;
            s += v;
            sa += Math.abs(v);
          }
          const old = beta === 0 ? 0 : beta * y0[r]!;
          want[r] = s + old;
          scale[r] = sa + Math.abs(old);
        }
        assertWithin(y, want, scale, 1e-6, `TS gemv ${rows}×${cols} ${bf16 ? 'bf16' : 'f32'} beta ${beta}`);
      }
    }
  }
});

// Shapes for the native paths: small m (streaming), micro-tile edges, k tails (not a multiple of 8
// or 16), several k slices (k > 384), both thread splits (n ≥ m splits columns, m > n rows).
const NATIVE_SHAPES: Shape[] = [
  [1, 1, 1], [1, 7, 129], [2, 129, 7], [3, 17, 33], [4, 64, 16], [5, 50, 100], [6, 33, 31], [7, 129, 7],
  [8, 77, 1000], [9, 50, 64], [10, 100, 17], [13, 48, 384], [16, 49, 385], [33, 97, 400],
  [129, 129, 129], [130, 31, 70], [300, 517, 129], [200, 60, 800], [64, 1000, 9],
  // k ≥ 16·max(m, n): the k-split path (partial sums of C over runs of k), as in the LM head's backward
  // (n = 100: two full AVX-512 panels, which an fp32 B that is not transposed feeds unpacked).
  [13, 20, 2000], [50, 37, 3001], [10, 100, 2000],
  // packed A over 2 MB: AVX2 groups 4 column panels per unit (partial groups and panels at the ends).
  [200, 212, 2700],
  // n ≤ 64 and m ≥ 32 (LoRA's products against the rank): the skinny path, A read in place on AVX2.
  [100, 32, 1500], [777, 64, 260], [40, 1, 50],
];

test('native gemm matches the TS twin on every dispatch path', { skip: !nativeKernels && 'native addon not built' }, () => {
  let seed = 100;
  const cases: Array<{ t: Case; want: Float32Array; scale: Float64Array }> = [];
  for (const [transA, transB] of TRANSPOSES) {
    for (const bf16 of [false, true]) {
      for (const shape of NATIVE_SHAPES) {
        const ab: Array<[number, number]> = [[1, 0]];
        if (shape[0] * shape[1] < 20000) ab.push([0.5, 1], [-1.5, 0.25]);
        for (const [alpha, beta] of ab) {
          const t = makeCase(transA, transB, shape, bf16, alpha, beta, seed++);
          const want = run(tsKernels, t);
          // Tolerance scale from |a|·|b| (the TS twin accumulates in float64).
          const scale = absScale(t);
          cases.push({ t, want, scale });
        }
      }
    }
  }
  forEachNativePath((k, isa) => {
    for (const { t, want, scale } of cases) assertWithin(run(k, t), want, scale, 1e-5, label(t, ` [${isa}]`));
  });
});

test('native gemm: beta 1 accumulates, beta 0 ignores NaN garbage, every thread count', { skip: !nativeKernels && 'native addon not built' }, () => {
  const native = nativeKernels!;
  const before = native.threads();
  try {
    for (const threads of [1, 2, 3]) {
      native.setThreads(threads);
      forEachNativePath((k, isa) => {
        for (const [transA, transB] of TRANSPOSES) {
          for (const shape of [[1, 70, 40], [9, 300, 50], [100, 40, 390], [70, 200, 33], [12, 30, 700]] as Shape[]) {
            const [m, n] = shape;
            // dW += dyᵀ·x style: two accumulating calls equal one call with alpha 2.
            const t = makeCase(transA, transB, shape, false, 1, 1, 7 + m + n);
            const c = t.c0.slice();
            k.gemm(transA, transB, m, n, shape[2], 1, t.a, t.b, 1, c);
            k.gemm(transA, transB, m, n, shape[2], 1, t.a, t.b, 1, c);
            const twice = run(tsKernels, { ...t, alpha: 2 });
            assertWithin(c, twice, absScale({ ...t, alpha: 2 }), 2e-5, label(t, ` twice [${isa}, ${threads} threads]`));
            const z = makeCase(transA, transB, shape, true, 1, 0, 9 + m);
            const got = run(k, z);
            for (const v of got) assert.ok(Number.isFinite(v), `beta 0 leaked C garbage [${isa}]`);
            assertWithin(got, run(tsKernels, z), absScale(z), 1e-5, label(z, ` [${isa}, ${threads} threads]`));
          }
        }
      });
    }
  } finally {
    native.setThreads(before);
  }
});

test('native gemm gives the same bits on 1, 2 and 3 threads, call after call', { skip: !nativeKernels && 'native addon not built' }, () => {
  // Inner loops run in 1-thread worker processes and in the multi-threaded main process; their
  // logs must agree to the bit, so no path may let the thread count or the schedule into a sum.
  const native = nativeKernels!;
  const before = native.threads();
  try {
    forEachNativePath((k, isa) => {
      for (const [transA, transB] of TRANSPOSES) {
        for (const shape of [[13, 20, 2000], [50, 37, 3001], [10, 100, 2000], [40, 60, 5000], [300, 517, 129], [130, 31, 70], [777, 64, 260], [5, 50, 100]] as Shape[]) {
          const t = makeCase(transA, transB, shape, false, 1, 0, 77 + shape[2]);
          native.setThreads(1);
          const one = run(k, t);
          for (const threads of [2, 3, 2]) {
            native.setThreads(threads);
            const got = run(k, t);
            for (let i = 0; i < one.length; i++) {
              if (!Object.is(got[i], one[i])) assert.fail(`${label(t, ` [${isa}]`)}: ${threads} threads give ${got[i]} at ${i}, 1 thread ${one[i]}`);
            }
          }
        }
      }
    });
  } finally {
    native.setThreads(before);
  }
});

test('native gemm on a big-ish shape (several k slices and column tasks)', { skip: !nativeKernels && 'native addon not built' }, () => {
  for (const [transA, transB] of TRANSPOSES) {
    const t = makeCase(transA, transB, [300, 517, 520], transB, 1, 0, 4242);
    const want = run(tsKernels, t);
    const scale = absScale(t);
    forEachNativePath((k, isa) => assertWithin(run(k, t), want, scale, 1e-5, label(t, ` [${isa}]`)));
  }
});

test('native gemv matches the TS twin on every dispatch path', { skip: !nativeKernels && 'native addon not built' }, () => {
  const sizes: Array<[number, number]> = [[1, 1], [1, 17], [7, 1], [9, 15], [31, 16], [64, 33], [129, 130], [1000, 7], [300, 896], [5, 300], [3, 4864]];
  for (const [rows, cols] of sizes) {
    for (const bf16 of [false, true]) {
      for (const beta of [0, 1, -0.5]) {
        const wf = randn(rows * cols, rows * 31 + cols);
        const w: Weights = bf16 ? toBf16(wf) : wf;
        const x = randn(cols, cols + 5);
        const y0 = randn(rows, rows + 9);
        if (beta === 0) y0.fill(NaN);
        const want = y0.slice();
        tsKernels.gemv(rows, cols, w, x, beta, want);
        const scale = new Float64Array(rows);
        for (let r = 0; r < rows; r++) {
          let sa = beta === 0 ? 0 : Math.abs(beta * y0[r]!);
          for (let p = 0; p < cols; p++) sa += Math.abs(valueAt(w, r * cols + p) * x[p]!);
          scale[r] = sa;
        }
        forEachNativePath((k, isa) => {
          const y = y0.slice();
          k.gemv(rows, cols, w, x, beta, y);
          assertWithin(y, want, scale, 1e-5, `gemv ${rows}×${cols} ${bf16 ? 'bf16' : 'f32'} beta ${beta} [${isa}]`);
        });
      }
    }
  }
});

test('wrong lengths and types throw RangeError / TypeError naming the argument', () => {
  const kernels: Array<[string, Kernels]> = [['ts', tsKernels]];
  if (nativeKernels) kernels.push(['native', nativeKernels]);
  for (const [name, k] of kernels) {
    const a = new Float32Array(6);
    const b = new Float32Array(12);
    const c = new Float32Array(8);
    // m=2, n=4, k=3
    assert.throws(() => k.gemm(false, false, 2, 4, 3, 1, new Float32Array(5), b, 0, c), (e: unknown) => e instanceof RangeError && /gemm: a/.test((e as Error).message), `${name}: short a`);
    assert.throws(() => k.gemm(false, false, 2, 4, 3, 1, a, new Float32Array(13), 0, c), (e: unknown) => e instanceof RangeError && /gemm: b/.test((e as Error).message), `${name}: long b`);
    assert.throws(() => k.gemm(false, false, 2, 4, 3, 1, a, new Uint16Array(11), 0, c), (e: unknown) => e instanceof RangeError && /gemm: b/.test((e as Error).message), `${name}: short bf16 b`);
    assert.throws(() => k.gemm(false, false, 2, 4, 3, 1, a, b, 0, new Float32Array(7)), (e: unknown) => e instanceof RangeError && /gemm: c/.test((e as Error).message), `${name}: short c`);
    assert.throws(() => k.gemm(false, false, 2, 4, 3, 1, new Float64Array(6) as unknown as Float32Array, b, 0, c), (e: unknown) => e instanceof TypeError && /gemm: a/.test((e as Error).message), `${name}: a type`);
    assert.throws(() => k.gemm(false, false, 2, 4, 3, 1, a, new Int32Array(12) as unknown as Float32Array, 0, c), (e: unknown) => e instanceof TypeError && /gemm: b/.test((e as Error).message), `${name}: b type`);
    assert.throws(() => k.gemm(false, false, 2, 4, 3, 1, a, b, 0, [0, 0] as unknown as Float32Array), (e: unknown) => e instanceof TypeError && /gemm: c/.test((e as Error).message), `${name}: c type`);
    assert.throws(() => k.gemm(false, false, -1, 4, 3, 1, a, b, 0, c), (e: unknown) => e instanceof RangeError && /gemm: m/.test((e as Error).message), `${name}: negative m`);
    assert.throws(() => k.gemm(false, false, 2, 4.5, 3, 1, a, b, 0, c), (e: unknown) => e instanceof RangeError && /gemm: n/.test((e as Error).message), `${name}: fractional n`);
    assert.throws(() => k.gemm(false, false, 2, 4, '3' as unknown as number, 1, a, b, 0, c), (e: unknown) => e instanceof TypeError && /gemm: k/.test((e as Error).message), `${name}: string k`);
    assert.throws(() => k.gemm(0 as unknown as boolean, false, 2, 4, 3, 1, a, b, 0, c), (e: unknown) => e instanceof TypeError && /gemm: transA/.test((e as Error).message), `${name}: transA type`);
    assert.throws(() => k.gemm(false, false, 2, 4, 3, null as unknown as number, a, b, 0, c), (e: unknown) => e instanceof TypeError && /gemm: alpha/.test((e as Error).message), `${name}: alpha type`);
    // Huge dimensions must not wrap around into a "matching" length.
    assert.throws(() => k.gemm(false, false, 2 ** 31, 2 ** 31, 0, 1, new Float32Array(0), new Float32Array(0), 0, c), RangeError, `${name}: huge m·n`);
    const w = new Float32Array(12);
    const x = new Float32Array(4);
    const y = new Float32Array(3);
    assert.throws(() => k.gemv(3, 4, new Float32Array(11), x, 0, y), (e: unknown) => e instanceof RangeError && /gemv: w/.test((e as Error).message), `${name}: gemv short w`);
    assert.throws(() => k.gemv(3, 4, w, new Float32Array(5), 0, y), (e: unknown) => e instanceof RangeError && /gemv: x/.test((e as Error).message), `${name}: gemv long x`);
    assert.throws(() => k.gemv(3, 4, w, x, 0, new Float32Array(2)), (e: unknown) => e instanceof RangeError && /gemv: y/.test((e as Error).message), `${name}: gemv short y`);
    assert.throws(() => k.gemv(3, 4, new Float64Array(12) as unknown as Float32Array, x, 0, y), (e: unknown) => e instanceof TypeError && /gemv: w/.test((e as Error).message), `${name}: gemv w type`);
    assert.throws(() => k.gemv(3, 4, w, x, undefined as unknown as number, y), (e: unknown) => e instanceof TypeError && /gemv: beta/.test((e as Error).message), `${name}: gemv beta type`);
    // Zero-sized problems are fine and leave C alone / scale it.
    const c1 = new Float32Array([1, 2]);
    k.gemm(false, false, 1, 2, 0, 1, new Float32Array(0), new Float32Array(0), 0.5, c1);
    assert.deepEqual([...c1], [0.5, 1], `${name}: k = 0 scales C by beta`);
    k.gemm(false, false, 0, 2, 3, 1, new Float32Array(0), new Float32Array(6), 0, new Float32Array(0));
  }
});

function absScale(t: Case): Float64Array {
  const [m, n, k] = t.shape;
  // Σ_p |op(A)[i,p]|·|op(B)[p,j]| = (|op(A)|·|op(B)|)[i,j], via the TS gemm on absolute values.
  const absA = t.a.map(Math.abs);
  const bf = t.b instanceof Float32Array ? t.b : Float32Array.from(t.b, (v) => bf16ToF32(v));
  const absB = bf.map(Math.abs);
  const prod = new Float32Array(m * n);
  tsKernels.gemm(t.transA, t.transB, m, n, k, 1, absA, absB, 0, prod);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m * n; i++) {
    scale[i] = Math.abs(t.alpha) * prod[i]! + (t.beta === 0 ? 0 : Math.abs(t.beta * t.c0[i]!));
  }
  return scale;
}
