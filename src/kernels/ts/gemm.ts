// Matrix products in plain TypeScript: the oracle the native gemm/gemv are tested against, and the
// fallback when the addon is not built. Row-major, fp32 storage; bf16 weights (Uint16Array) are
// widened exactly (a 16-bit shift). Accumulation is in float64 (JS numbers) and the result is
// stored as fp32, so these are at least as accurate as the native fp32-accumulating kernels.
// Argument errors carry the same messages as src/native/gemm.cpp.
import { checkF32, checkInt, checkWeights } from '../check.js';
import type { Weights } from '../types.js';

const MAX_DIM = 2 ** 31;

function checkNum(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`);
}

function checkBool(name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean`);
}

/** The weights as fp32 values (bf16 widened; fp32 returned as is). */
function widen(w: Weights): Float32Array {
  if (w instanceof Float32Array) return w;
  const out = new Float32Array(w.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < w.length; i++) bits[i] = w[i]! << 16;
  return out;
}

/**
 * C[m×n] = alpha·op(A)·op(B) + beta·C. op(A) is m×k (A stored k×m when transA), op(B) is k×n
 * (B stored n×k when transB). beta = 0 ignores C's old contents, NaN included.
 */
export function gemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  alpha: number, a: Float32Array, b: Weights, beta: number, c: Float32Array,
): void {
  checkBool('gemm: transA', transA);
  checkBool('gemm: transB', transB);
  checkInt('gemm: m', m, 0, MAX_DIM);
  checkInt('gemm: n', n, 0, MAX_DIM);
  checkInt('gemm: k', k, 0, MAX_DIM);
  checkNum('gemm: alpha', alpha);
  checkF32('gemm: a', a, m * k);
  checkWeights('gemm: b', b, k * n);
  checkNum('gemm: beta', beta);
  checkF32('gemm: c', c, m * n);
  if (m === 0 || n === 0) return;
  const bf = widen(b);
  const row = new Float64Array(n);
  // B as k×n row-major: transpose once when stored n×k, so the inner loop runs along rows (i-p-j).
  let bk = bf;
  if (transB) {
    bk = new Float32Array(k * n);
    for (let j = 0; j < n; j++) {
      const src = j * k;
      for (let p = 0; p < k; p++) bk[p * n + j] = bf[src + p]!;
    }
  }
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const av = transA ? a[p * m + i]! : a[i * k + p]!;
      const base = p * n;
      for (let j = 0; j < n; j++) row[j] += av * bk[base + j]!;
    }
    const ci = i * n;
    for (let j = 0; j < n; j++) {
      const v = alpha * row[j]!;
      c[ci + j] = beta === 0 ? v : v + beta * c[ci + j]!;
    }
  }
}

/** y[rows] = W[rows×cols]·x[cols] + beta·y (beta = 0 ignores y's old contents). */
export function gemv(
  rows: number, cols: number, w: Weights, x: Float32Array, beta: number, y: Float32Array,
): void {
  checkInt('gemv: rows', rows, 0, MAX_DIM);
  checkInt('gemv: cols', cols, 0, MAX_DIM);
  checkWeights('gemv: w', w, rows * cols);
  checkF32('gemv: x', x, cols);
  checkNum('gemv: beta', beta);
  checkF32('gemv: y', y, rows);
  const bf16 = w instanceof Uint16Array;
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    const base = r * cols;
    if (bf16) {
      for (let p = 0; p < cols; p++) {
        u32[0] = w[base + p]! << 16;
        s += f32[0]! * x[p]!;
      }
    } else {
      for (let p = 0; p < cols; p++) s += w[base + p]! * x[p]!;
    }
    y[r] = beta === 0 ? s : s + beta * y[r]!;
  }
}
