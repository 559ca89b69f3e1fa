// The plain-TypeScript kernels: the oracle every native kernel is tested against, and the
// fallback where the addon is not built.
import type { Kernels } from '../types.js';
import * as gemm from './gemm.js';
import * as attention from './attention.js';
import * as ops from './ops.js';

export const tsKernels: Kernels = {
  kind: 'ts',
  ...gemm,
  ...attention,
  ...ops,
  threads: () => 1,
  setThreads: () => {},
};
