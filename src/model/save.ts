// Writes a model back out as a standard Hugging Face directory: config.json, model.safetensors
// (each tensor in the dtype it is held in), and the tokenizer and generation files of its source.
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Transformer } from './transformer.js';
import { writeSafetensors, type TensorToWrite } from './safetensors.js';

const COPIED = ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'special_tokens_map.json'];

/** Writes `model` to `dir`; tokenizer and generation files are copied from `sourceDir` when given. */
export function saveModel(model: Transformer, dir: string, sourceDir?: string): void {
  mkdirSync(dir, { recursive: true });
  const tensors: Record<string, TensorToWrite> = {};
  let anyBf16 = false;
  for (const [name, p] of model.params) {
    const bf16 = p.data instanceof Uint16Array;
    anyBf16 ||= bf16;
    tensors[name] = { dtype: bf16 ? 'BF16' : 'F32', shape: [...p.shape], data: p.data };
  }
  writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...model.config.raw, torch_dtype: anyBf16 ? 'bfloat16' : 'float32' }, null, 2));
  if (sourceDir && sourceDir !== dir) {
    for (const name of COPIED) if (existsSync(join(sourceDir, name))) copyFileSync(join(sourceDir, name), join(dir, name));
  }
}
