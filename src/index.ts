// The package's public surface.
export { loadModel, type LoadedModel, type LoadOptions, type GenerationDefaults } from './model/load.js';
export { Transformer, type ForwardOptions, type ProjectionHook } from './model/transformer.js';
export { KVCache } from './model/kv-cache.js';
export { Tokenizer, type ChatMessage } from './model/tokenizer.js';
export { readConfig, parseConfig, type ModelConfig } from './model/config.js';
export { readHeader, readTensor, writeSafetensors } from './model/safetensors.js';
export { kernels, kernelStatus, type Kernels } from './kernels/index.js';
export { Tensor } from './tensor/tensor.js';
export { generate, type GenerateOptions, type Generation } from './generate/generate.js';
export { LoraAdapter, type LoraConfig } from './lora/lora.js';
export { train, TrainingError, type TrainOptions } from './train/trainer.js';
export { readJsonl, tokenizeRow } from './train/data.js';
export { saveModel } from './model/save.js';
export { noGrad, backward } from './tensor/autograd.js';
export type { SealTask, InnerTrainSettings } from './seal/task.js';
export { innerLoop, sampleSelfEdits } from './seal/inner.js';
export { restEmRound } from './seal/restem.js';
export { KnowledgeTask } from './tasks/knowledge/task.js';
