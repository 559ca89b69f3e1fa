// Random-init models at real shapes for the benches (nothing can be downloaded here), written
// once into bench/.models/ and reused.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeRandomModel } from '../src/model/random.js';
import { root } from './peer.js';

/** Qwen2.5-0.5B's config.json (the paper's smaller cousin; what the issues benchmark on). */
export const QWEN25_05B = {
  architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', hidden_size: 896, intermediate_size: 4864,
  num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, vocab_size: 151936,
  max_position_embeddings: 32768, rms_norm_eps: 1e-6, rope_theta: 1000000.0, tie_word_embeddings: true,
  hidden_act: 'silu', bos_token_id: 151643, eos_token_id: 151643, use_sliding_window: false,
};

export function benchModel(name: string, config: Record<string, unknown>, dtype: 'F32' | 'BF16'): string {
  const dir = join(root, 'bench', '.models', `${name}-${dtype.toLowerCase()}`);
  if (!existsSync(join(dir, 'model.safetensors'))) {
    process.stderr.write(`bench: writing a random-init ${name} (${dtype}) to ${dir} ...\n`);
    writeRandomModel(dir, config, { dtype, seed: 1 });
  }
  return dir;
}
