// loadModel(dir): a Hugging Face model directory → config, weights, tokenizer, generation
// defaults, ready to generate with and to train.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig, type ModelConfig } from './config.js';
import { loadWeights, type LoadDtype } from './weights.js';
import { Tokenizer } from './tokenizer.js';
import { Transformer } from './transformer.js';

export interface GenerationDefaults {
  bosTokenId: number | null;
  eosTokenIds: number[];
  temperature?: number;
  topP?: number;
  topK?: number;
  maxNewTokens?: number;
}

export interface LoadedModel {
  dir: string;
  config: ModelConfig;
  model: Transformer;
  /** null when the directory has no tokenizer.json (weights-only use). */
  tokenizer: Tokenizer | null;
  generation: GenerationDefaults;
}

export interface LoadOptions {
  /** How matrices are held in memory: 'auto' keeps the file's dtype; 'bf16' halves fp32 files. */
  dtype?: LoadDtype;
}

export function loadModel(dir: string, options: LoadOptions = {}): LoadedModel {
  const config = readConfig(join(dir, 'config.json'));
  const weights = loadWeights(dir, config, options.dtype ?? 'auto');
  const model = new Transformer(config, weights);
  const tokenizer = existsSync(join(dir, 'tokenizer.json')) ? Tokenizer.fromDir(dir) : null;
  return { dir, config, model, tokenizer, generation: readGenerationConfig(dir, config) };
}

function readGenerationConfig(dir: string, config: ModelConfig): GenerationDefaults {
  const path = join(dir, 'generation_config.json');
  const out: GenerationDefaults = { bosTokenId: config.bosTokenId, eosTokenIds: [...config.eosTokenIds] };
  if (!existsSync(path)) return out;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: malformed JSON (${(err as Error).message})`);
  }
  const eos = raw.eos_token_id;
  if (Array.isArray(eos)) out.eosTokenIds = eos.filter((e): e is number => typeof e === 'number');
  else if (typeof eos === 'number') out.eosTokenIds = [eos];
  if (typeof raw.bos_token_id === 'number') out.bosTokenId = raw.bos_token_id;
  if (typeof raw.temperature === 'number') out.temperature = raw.temperature;
  if (typeof raw.top_p === 'number') out.topP = raw.top_p;
  if (typeof raw.top_k === 'number') out.topK = raw.top_k;
  if (typeof raw.max_new_tokens === 'number') out.maxNewTokens = raw.max_new_tokens;
  return out;
}
