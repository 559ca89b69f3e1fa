// Shape and dtype checks shared by the differentiable ops, and the two bias loops every linear
// layer needs.
import type { Tensor } from './tensor.js';

export function opError(op: string, message: string): RangeError {
  return new RangeError(`${op}: ${message}`);
}

/** The fp32 data of an activation (or trainable weight). */
export function f32(op: string, what: string, t: Tensor): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  throw new TypeError(`${op}: ${what} ${t.label()} must be fp32 (bf16 is for frozen weights only)`);
}

/** Weights may be bf16 only while frozen: their gradient would have nowhere to go. */
export function checkTrainable(op: string, what: string, t: Tensor): void {
  if (t.requiresGrad && t.data instanceof Uint16Array) {
    throw new TypeError(`${op}: ${what} ${t.label()} is bf16 but requires grad; train fp32 weights (toF32)`);
  }
}

export function lastDim(t: Tensor): number {
  return t.shape.length === 0 ? 1 : t.shape[t.shape.length - 1]!;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}


/** y[r, :] += v for every row (a bias). */
export function addRows(y: Float32Array, v: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) y[o + j]! += v[j]!;
  }
}

/** into[j] += Σ_r m[r, j] (a bias gradient). */
export function sumRowsInto(into: Float32Array, m: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) into[j]! += m[o + j]!;
  }
}
