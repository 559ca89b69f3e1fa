// Placeholder until the ops kernels land.
export function rmsnormForward(..._args: unknown[]): void { throw new Error('rmsnormForward: not implemented yet'); }
export function rmsnormBackward(..._args: unknown[]): void { throw new Error('rmsnormBackward: not implemented yet'); }
export function rope(..._args: unknown[]): void { throw new Error('rope: not implemented yet'); }
export function swigluForward(..._args: unknown[]): void { throw new Error('swigluForward: not implemented yet'); }
export function swigluBackward(..._args: unknown[]): void { throw new Error('swigluBackward: not implemented yet'); }
export function crossEntropyForward(..._args: unknown[]): void { throw new Error('crossEntropyForward: not implemented yet'); }
export function crossEntropyBackward(..._args: unknown[]): void { throw new Error('crossEntropyBackward: not implemented yet'); }
export function embeddingForward(..._args: unknown[]): void { throw new Error('embeddingForward: not implemented yet'); }
export function embeddingBackward(..._args: unknown[]): void { throw new Error('embeddingBackward: not implemented yet'); }
export function adamw(..._args: unknown[]): void { throw new Error('adamw: not implemented yet'); }
