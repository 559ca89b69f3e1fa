// Picks the kernel implementation: the native addon when it is built and loads, unless
// SEAL_KERNELS=ts asks for the TypeScript kernels. `kernelStatus` says which and why.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Kernels } from './types.js';
import { tsKernels } from './ts/index.js';

export type { Kernels, Weights } from './types.js';
export { tsKernels } from './ts/index.js';

export interface NativeInfo {
  features: Record<string, boolean>;
  isa: 'avx512' | 'avx2' | 'scalar';
  isaNote: string;
  threads: number;
}

export interface KernelStatus {
  /** 'native-avx512' | 'native-avx2' | 'native-scalar' | 'ts' */
  path: string;
  /** Why the TypeScript kernels are in use, when they are. */
  reason?: string;
  native?: NativeInfo;
}

const addonPath = fileURLToPath(new URL('../../../build/Release/seal_native.node', import.meta.url));
const buildFailure = fileURLToPath(new URL('../../../build/native-build-failed.txt', import.meta.url));

type NativeAddon = Omit<Kernels, 'kind' | 'threads' | 'setThreads'> & {
  info(): NativeInfo;
  setThreads(n: number): void;
  /** Switch the dispatch path (capped at what the CPU has); returns the path now in use. */
  setIsa(isa: 'avx512' | 'avx2' | 'scalar'): 'avx512' | 'avx2' | 'scalar';
  stressPool(iterations: number): number;
  readSum(data: Float32Array | Uint16Array): number;
};

/** For tests: run `iterations` random short pool jobs natively; returns how many went wrong (null without the addon). */
export function stressNativePool(iterations: number): number | null {
  return nativeAddon ? nativeAddon.stressPool(iterations) : null;
}

/** For tests: switch the native dispatch path at run time. Returns the path now in use, or null without the addon. */
export function setNativeIsa(isa: 'avx512' | 'avx2' | 'scalar'): string | null {
  return nativeAddon ? nativeAddon.setIsa(isa) : null;
}

/** For the GEMV bench: a plain multithreaded read loop over `data`'s bytes (null without the addon). */
export function nativeReadSum(data: Float32Array | Uint16Array): number | null {
  return nativeAddon ? nativeAddon.readSum(data) : null;
}

let nativeAddon: NativeAddon | null = null;
let loadError: string | undefined;
try {
  nativeAddon = createRequire(import.meta.url)(addonPath) as NativeAddon;
} catch (err) {
  loadError = existsSync(buildFailure)
    ? `the native build failed at install (${readFileSync(buildFailure, 'utf8').trim()})`
    : `the native addon did not load (${(err as Error).message.split('\n')[0]})`;
}

/** The native kernels, or null when the addon is not built. */
export const nativeKernels: Kernels | null = nativeAddon && {
  ...(nativeAddon as Omit<NativeAddon, 'info' | 'setIsa' | 'stressPool' | 'readSum'>),
  kind: 'native',
  threads: () => nativeAddon!.info().threads,
  setThreads: (n: number) => nativeAddon!.setThreads(n),
};

const forced = process.env.SEAL_KERNELS;
export const kernels: Kernels = forced === 'ts' || !nativeKernels ? tsKernels : nativeKernels;

export function kernelStatus(): KernelStatus {
  if (kernels === tsKernels) {
    const reason = forced === 'ts' ? 'SEAL_KERNELS=ts' : (loadError ?? 'unknown');
    return nativeAddon ? { path: 'ts', reason, native: nativeAddon.info() } : { path: 'ts', reason };
  }
  const native = nativeAddon!.info();
  return { path: `native-${native.isa}`, native };
}
