// Hugging Face config.json → the one normalised ModelConfig our model code reads. Llama, Qwen2,
// Qwen3 and Mistral differ only in a few switches (biases, q/k norm, head_dim, sliding window,
// tied embeddings), so they share one implementation.
import { readFileSync } from 'node:fs';

export type Architecture = 'LlamaForCausalLM' | 'Qwen2ForCausalLM' | 'Qwen3ForCausalLM' | 'MistralForCausalLM';
export const ARCHITECTURES: readonly Architecture[] = [
  'LlamaForCausalLM', 'Qwen2ForCausalLM', 'Qwen3ForCausalLM', 'MistralForCausalLM',
];

export type RopeScaling =
  | { type: 'default' }
  | { type: 'linear'; factor: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number };

export interface ModelConfig {
  architecture: Architecture;
  modelType: string;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling;
  maxPositions: number;
  tieEmbeddings: boolean;
  /** Biases on q/k/v projections (Qwen2; Llama's attention_bias puts them on o too). */
  qkvBias: boolean;
  oBias: boolean;
  mlpBias: boolean;
  /** Per-head RMSNorm on q and k before rotary (Qwen3). */
  qkNorm: boolean;
  /** Keys further back than this are invisible (Mistral v0.1); null = full causal. */
  slidingWindow: number | null;
  bosTokenId: number | null;
  eosTokenIds: number[];
  /** The raw config.json, written back unchanged (plus edits) when a model is saved. */
  raw: Record<string, unknown>;
}

export class ConfigError extends Error {
  constructor(file: string, field: string, what: string) {
    super(`${file}: field '${field}' ${what}`);
    this.name = 'ConfigError';
  }
}

export function readConfig(path: string): ModelConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: malformed JSON (${(err as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${path}: expected a JSON object`);
  return parseConfig(raw as Record<string, unknown>, path);
}

export function parseConfig(raw: Record<string, unknown>, file = 'config.json'): ModelConfig {
  const int = (field: string, fallback?: number): number => {
    const v = raw[field] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new ConfigError(file, field, v === undefined ? 'is missing' : `must be a positive integer, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const num = (field: string, fallback: number): number => {
    const v = raw[field] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new ConfigError(file, field, `must be a positive number, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const bool = (field: string, fallback: boolean): boolean => {
    const v = raw[field] ?? fallback;
    if (typeof v !== 'boolean') throw new ConfigError(file, field, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  };

  const archs = raw.architectures;
  if (!Array.isArray(archs) || typeof archs[0] !== 'string') {
    throw new ConfigError(file, 'architectures', `must list the model class, e.g. ["LlamaForCausalLM"]; got ${JSON.stringify(archs)}`);
  }
  const architecture = archs[0] as Architecture;
  if (!ARCHITECTURES.includes(architecture)) {
    throw new ConfigError(file, 'architectures', `names '${archs[0]}', which is not supported (supported: ${ARCHITECTURES.join(', ')})`);
  }
  const act = raw.hidden_act ?? 'silu';
  if (act !== 'silu') throw new ConfigError(file, 'hidden_act', `is '${String(act)}'; only silu (SwiGLU) is supported`);

  const hiddenSize = int('hidden_size');
  const numHeads = int('num_attention_heads');
  const numKvHeads = int('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) {
    throw new ConfigError(file, 'num_key_value_heads', `(${numKvHeads}) must divide num_attention_heads (${numHeads})`);
  }
  const headDim = raw.head_dim == null ? hiddenSize / numHeads : int('head_dim');
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) {
    throw new ConfigError(file, 'head_dim', `must be an even integer (hidden_size / num_attention_heads = ${headDim})`);
  }

  // Qwen2 hard-codes q/k/v biases (and none on o); Mistral has none; Llama and Qwen3 follow
  // attention_bias for all four projections.
  const isQwen2 = architecture === 'Qwen2ForCausalLM';
  const attentionBias = architecture === 'MistralForCausalLM' ? false : isQwen2 || bool('attention_bias', false);
  const slidingRaw = raw.sliding_window;
  const useSliding = architecture === 'MistralForCausalLM'
    ? slidingRaw != null
    : raw.use_sliding_window === true && slidingRaw != null;
  const eos = raw.eos_token_id;
  return {
    architecture,
    modelType: String(raw.model_type ?? ''),
    hiddenSize,
    intermediateSize: int('intermediate_size'),
    numLayers: int('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: int('vocab_size'),
    rmsNormEps: num('rms_norm_eps', 1e-6),
    ropeTheta: num('rope_theta', 10000),
    ropeScaling: parseRopeScaling(raw.rope_scaling, file),
    maxPositions: int('max_position_embeddings', 2048),
    tieEmbeddings: bool('tie_word_embeddings', false),
    qkvBias: attentionBias,
    oBias: isQwen2 ? false : attentionBias,
    mlpBias: bool('mlp_bias', false),
    qkNorm: architecture === 'Qwen3ForCausalLM',
    slidingWindow: useSliding ? int('sliding_window') : null,
    bosTokenId: typeof raw.bos_token_id === 'number' ? raw.bos_token_id : null,
    eosTokenIds: Array.isArray(eos) ? eos.filter((e): e is number => typeof e === 'number') : typeof eos === 'number' ? [eos] : [],
    raw,
  };
}

function parseRopeScaling(v: unknown, file: string): RopeScaling {
  if (v == null) return { type: 'default' };
  if (typeof v !== 'object') throw new ConfigError(file, 'rope_scaling', 'must be an object or null');
  const r = v as Record<string, unknown>;
  const type = r.rope_type ?? r.type;
  const positive = (field: string): number => {
    const x = r[field];
    if (typeof x !== 'number' || !(x > 0)) throw new ConfigError(file, `rope_scaling.${field}`, `must be a positive number, got ${JSON.stringify(x)}`);
    return x;
  };
  switch (type) {
    case 'default':
      return { type: 'default' };
    case 'linear':
      return { type: 'linear', factor: positive('factor') };
    case 'llama3':
      return {
        type: 'llama3',
        factor: positive('factor'),
        lowFreqFactor: positive('low_freq_factor'),
        highFreqFactor: positive('high_freq_factor'),
        originalMaxPositions: positive('original_max_position_embeddings'),
      };
    default:
      throw new ConfigError(file, 'rope_scaling.rope_type', `'${String(type)}' is not supported (supported: default, linear, llama3)`);
  }
}
