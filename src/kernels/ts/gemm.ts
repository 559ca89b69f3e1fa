// Placeholder until the gemm kernels land.
export function gemm(..._args: unknown[]): void { throw new Error('gemm: not implemented yet'); }
export function gemv(..._args: unknown[]): void { throw new Error('gemv: not implemented yet'); }
