// Tensors, autograd and the differentiable ops, from one place.
export * from './tensor.js';
export * from './autograd.js';
export * from './ops.js';
