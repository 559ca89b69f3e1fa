// Argument checks shared by the TypeScript kernels. Messages match the native addon's
// (src/native/napi_util.h), so a caller sees the same error whichever path runs.
import type { Weights } from './types.js';

export function checkInt(name: string, value: number, min = 0, max = 2 ** 40): void {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

export function checkF32(name: string, arr: unknown, need: number): asserts arr is Float32Array {
  if (!(arr instanceof Float32Array)) throw new TypeError(`${name} must be a Float32Array`);
  checkLength(name, arr.length, need);
}

export function checkI32(name: string, arr: unknown, need: number): asserts arr is Int32Array {
  if (!(arr instanceof Int32Array)) throw new TypeError(`${name} must be a Int32Array`);
  checkLength(name, arr.length, need);
}

export function checkWeights(name: string, arr: unknown, need: number): asserts arr is Weights {
  if (!(arr instanceof Float32Array) && !(arr instanceof Uint16Array)) {
    throw new TypeError(`${name} must be a Float32Array (fp32) or Uint16Array (bf16)`);
  }
  checkLength(name, arr.length, need);
}

function checkLength(name: string, have: number, need: number): void {
  if (have !== need) throw new RangeError(`${name} has ${have} elements, expected ${need}`);
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** bf16 bits → fp32 value (exact: bf16 is the top half of an fp32). */
export function bf16ToF32(bits: number): number {
  u32Scratch[0] = bits << 16;
  return f32Scratch[0]!;
}

/** Element i of a weight array as fp32, whatever its storage. */
export function weightAt(w: Weights, i: number): number {
  return w instanceof Float32Array ? w[i]! : bf16ToF32(w[i]!);
}
