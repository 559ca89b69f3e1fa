// Placeholder until the attention kernels land.
export function attentionForward(..._args: unknown[]): void { throw new Error('attentionForward: not implemented yet'); }
export function attentionBackward(..._args: unknown[]): void { throw new Error('attentionBackward: not implemented yet'); }
export function attentionDecode(..._args: unknown[]): void { throw new Error('attentionDecode: not implemented yet'); }
