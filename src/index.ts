// The package's public surface.
export { loadModel, type LoadedModel, type LoadOptions, type GenerationDefaults } from './model/load.js';
export { Transformer, type ForwardOptions, type ProjectionHook } from './model/transformer.js';
export { KVCache } from './model/kv-cache.js';
export { Tokenizer, type ChatMessage } from './model/tokenizer.js';
export { readConfig, parseConfig, type ModelConfig } from './model/config.js';
export { readHeader, readTensor, writeSafetensors } from './model/safetensors.js';
export { kernels, kernelStatus, type Kernels } from './kernels/index.js';
export { Tensor } from './tensor/tensor.js';
