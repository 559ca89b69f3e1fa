// Shared test utilities: seeded random data, closeness checks, and a loop over every native
// dispatch path this CPU has (so AVX-512, AVX2 and scalar are all checked on one machine).
import assert from 'node:assert/strict';
import { nativeKernels, setNativeIsa, tsKernels } from '../src/kernels/index.js';
import type { Kernels } from '../src/kernels/index.js';

/** Mulberry32: small, fast, seeded. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n standard-normal values (Box–Muller), times `scale`. */
export function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(r(), 1e-12);
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r()) * scale;
  }
  return out;
}

/** fp32 → bf16 bits, round to nearest even (as torch's .to(bfloat16)). */
export function toBf16(x: Float32Array): Uint16Array {
  const u = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const bits = u[i]!;
    out[i] = (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
  }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'length mismatch');
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Asserts |a − b| <= atol + rtol·|b| elementwise, naming the worst element. */
export function assertClose(
  actual: ArrayLike<number>, expected: ArrayLike<number>, { atol = 1e-5, rtol = 1e-5, what = 'value' } = {},
): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} != ${expected.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (Number.isNaN(excess) ? !(Number.isNaN(a) && Number.isNaN(e)) : excess > worstExcess) {
      worst = i;
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
    }
  }
  if (worst >= 0) {
    assert.fail(`${what}[${worst}] = ${actual[worst]}, expected ${expected[worst]} (atol ${atol}, rtol ${rtol})`);
  }
}

/** The native dispatch paths this machine can run (empty without the addon). */
export function nativePaths(): string[] {
  if (!nativeKernels) return [];
  const paths: string[] = [];
  for (const isa of ['avx512', 'avx2', 'scalar'] as const) {
    if (setNativeIsa(isa) === isa) paths.push(isa);
  }
  setNativeIsa('avx512');
  return paths;
}

/** Runs fn once per native dispatch path with the native kernels, restoring the best path after. */
export function forEachNativePath(fn: (k: Kernels, isa: string) => void): void {
  for (const isa of nativePaths()) {
    setNativeIsa(isa as 'avx512' | 'avx2' | 'scalar');
    try {
      fn(nativeKernels!, isa);
    } finally {
      setNativeIsa('avx512');
    }
  }
}

export { tsKernels, nativeKernels };
