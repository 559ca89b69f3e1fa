// The Tensor: a flat typed array plus a shape (metadata only; always row-major, contiguous).
// Activations and trainable weights are fp32; frozen weights may stay bf16 (raw bit patterns in a
// Uint16Array) so a 7B base model needs half the memory. Gradients are always fp32, allocated on
// first use and accumulated into, as in PyTorch.
import type { GradNode } from './autograd.js';
import { activeBufferPool } from './buffer-pool.js';

export type TensorData = Float32Array | Uint16Array;

export interface TensorOptions {
  requiresGrad?: boolean;
  name?: string;
}

export class Tensor {
  data: TensorData;
  readonly shape: readonly number[];
  /** Leaves: "accumulate a gradient here". Results: "some input had it" (set by autograd). */
  requiresGrad: boolean;
  /** d(loss)/d(this), fp32, same length as data; null until a backward pass reaches this tensor. */
  grad: Float32Array | null = null;
  name?: string;
  /** The autograd node that produced this tensor; null for leaves and untracked results. */
  node: GradNode | null = null;

  constructor(data: TensorData, shape: readonly number[], options: TensorOptions = {}) {
    const n = numel(shape);
    if (data.length !== n) {
      throw new RangeError(`Tensor${options.name ? ` '${options.name}'` : ''}: data has ${data.length} elements but shape ${formatShape(shape)} needs ${n}`);
    }
    if (options.requiresGrad && data instanceof Uint16Array) {
      throw new TypeError(`Tensor${options.name ? ` '${options.name}'` : ''}: bf16 tensors are frozen weights; convert to fp32 (toF32) to train them`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.requiresGrad = options.requiresGrad ?? false;
    if (options.name !== undefined) this.name = options.name;
  }

  get numel(): number {
    return this.data.length;
  }

  get isBf16(): boolean {
    return this.data instanceof Uint16Array;
  }

  /** The fp32 data; throws for bf16 (activations are always fp32, so this is the common accessor). */
  get f32(): Float32Array {
    if (this.data instanceof Float32Array) return this.data;
    throw new TypeError(`${this.label()}: expected fp32 data, got bf16`);
  }

  label(): string {
    return this.name ? `'${this.name}' ${formatShape(this.shape)}` : formatShape(this.shape);
  }
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`invalid shape ${formatShape(shape)}`);
    n *= d;
  }
  return n;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** A new fp32 tensor of zeros. */
export function zeros(shape: readonly number[], options?: TensorOptions): Tensor {
  return new Tensor(new Float32Array(numel(shape)), shape, options);
}

/** Wraps a typed array as is (no copy, shares memory); copies a plain number array into fp32. */
export function fromArray(values: TensorData | ArrayLike<number>, shape: readonly number[], options?: TensorOptions): Tensor {
  const data = values instanceof Float32Array || values instanceof Uint16Array ? values : Float32Array.from(values);
  return new Tensor(data, shape, options);
}

/** `shape` with at most one −1 resolved against `n` elements. */
export function resolveShape(shape: readonly number[], n: number, op = 'reshape'): number[] {
  const out = [...shape];
  const free = out.indexOf(-1);
  if (free >= 0 && out.indexOf(-1, free + 1) >= 0) throw new RangeError(`${op}: more than one -1 in ${formatShape(shape)}`);
  if (free >= 0) {
    out[free] = 1;
    const rest = numel(out);
    if (rest === 0 || n % rest !== 0) throw new RangeError(`${op}: cannot view ${n} elements as ${formatShape(shape)}`);
    out[free] = n / rest;
  }
  if (numel(out) !== n) throw new RangeError(`${op}: cannot view ${n} elements as ${formatShape(shape)}`);
  return out;
}

/**
 * The same data under another shape (one −1 is inferred). Untracked: use `reshape` from ops.ts
 * when gradients must flow back to `t`.
 */
export function view(t: Tensor, shape: readonly number[]): Tensor {
  return new Tensor(t.data, resolveShape(shape, t.numel, 'view'), t.name !== undefined ? { name: t.name } : {});
}

/** bf16 bit patterns → fp32 (exact: bf16 is the top half of an fp32). */
export function bf16ToF32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const u = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) u[i] = bits[i]! << 16;
  return out;
}

/** The data as fp32: the array itself when already fp32, a widened copy when bf16. */
export function toF32(t: Tensor): Float32Array {
  return t.data instanceof Float32Array ? t.data : bf16ToF32(t.data);
}

const nodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(size: number): Uint8Array } }).Buffer;

/**
 * A Float32Array with unspecified contents, for outputs that a kernel overwrites in full: a zeroed
 * array costs a memset per activation per step (a third of a GB per training step of a 0.5B
 * model), and the zeros are never read.
 */
export function uninitialized(n: number): Float32Array {
  if (n < 4096 || !nodeBuffer) return new Float32Array(n);
  const pool = activeBufferPool();
  if (pool) return pool.take(n);
  const bytes = nodeBuffer.allocUnsafeSlow(n * 4);
  return new Float32Array(bytes.buffer, bytes.byteOffset, n);
}

/** A copy of a, in a buffer from `uninitialized` (so a pooled one inside a training step). */
export function copyOf(a: Float32Array): Float32Array {
  const out = uninitialized(a.length);
  out.set(a);
  return out;
}
