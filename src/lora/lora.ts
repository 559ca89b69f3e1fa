// LoRA adapters with PEFT's semantics and file format: y = W·x + (alpha/r)·B·A·dropout(x), A
// Kaiming-uniform (as PEFT initialises it), B zero. One base model in memory serves any number of
// adapters: attaching one only sets the model's projection hook, and detaching restores the base.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from '../tensor/tensor.js';
import { dropout } from '../tensor/ops.js';
import { loraLinear } from '../tensor/lora-linear.js';
import type { Transformer } from '../model/transformer.js';
import { readHeader, readTensor, writeSafetensors, f32ToBf16Into } from '../model/safetensors.js';
import { kernels } from '../kernels/index.js';
import { hashString, seededRandom } from '../util/random.js';

export const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

export interface LoraConfig {
  rank: number;
  alpha: number;
  dropout: number;
  targets: LoraTarget[];
  /** rsLoRA scales by alpha/sqrt(r) instead of alpha/r (PEFT's use_rslora). */
  useRslora?: boolean;
}

/** PEFT's default for Llama/Qwen2 when target_modules is not given (what SEAL's inner loop uses). */
export const PEFT_DEFAULT_TARGETS: LoraTarget[] = ['q_proj', 'v_proj'];

export interface LoraPair {
  /** [r, in] */
  a: Tensor;
  /** [out, r] */
  b: Tensor;
}

const PEFT_PREFIX = 'base_model.model.';

export class LoraAdapter {
  /** Keyed by module path, e.g. 'model.layers.0.self_attn.q_proj'. */
  readonly pairs = new Map<string, LoraPair>();
  readonly scaling: number;
  /** Changes each training step so every step draws a fresh dropout mask (reproducibly). */
  dropoutSeed = 0;

  constructor(readonly config: LoraConfig) {
    validate(config);
    this.scaling = config.useRslora ? config.alpha / Math.sqrt(config.rank) : config.alpha / config.rank;
  }

  /** A fresh adapter for `model`: A ~ U(−1/sqrt(in), 1/sqrt(in)) (kaiming_uniform_ with a = sqrt(5)), B = 0. */
  static create(model: Transformer, config: LoraConfig, seed = 0): LoraAdapter {
    const adapter = new LoraAdapter(config);
    const random = seededRandom(seed ^ 0x5bd1e995);
    for (const path of targetModules(model, config.targets)) {
      const [out, inF] = model.param(`${path}.weight`).shape as [number, number];
      const a = new Float32Array(config.rank * inF);
      const bound = 1 / Math.sqrt(inF);
      for (let i = 0; i < a.length; i++) a[i] = (2 * random() - 1) * bound;
      adapter.pairs.set(path, {
        a: new Tensor(a, [config.rank, inF], { requiresGrad: true, name: `${path}.lora_A` }),
        b: new Tensor(new Float32Array(out * config.rank), [out, config.rank], { requiresGrad: true, name: `${path}.lora_B` }),
      });
    }
    return adapter;
  }

  parameters(): Tensor[] {
    const out: Tensor[] = [];
    for (const { a, b } of this.pairs.values()) out.push(a, b);
    return out;
  }

  /** Routes the model's projections through this adapter (replacing any adapter attached before). */
  attach(model: Transformer): void {
    model.projectionHook = (name, x, w, bias) => {
      const pair = this.pairs.get(name);
      if (!pair) return null;
      const p = this.config.dropout;
      const input = p > 0 && pair.a.requiresGrad ? dropout(x, p, this.dropoutSeed * 131 + hashString(name)) : x;
      return loraLinear(x, w, bias, pair.a, pair.b, this.scaling, input);
    };
  }

  static detach(model: Transformer): void {
    model.projectionHook = null;
  }

  /**
   * Folds the adapter into the base weights, W ← W + (alpha/r)·B·A (PEFT's merge_and_unload).
   * bf16 weights are widened, updated and rounded back to bf16, as PEFT does on a bf16 model.
   */
  mergeInto(model: Transformer): void {
    for (const [path, { a, b }] of this.pairs) {
      const w = model.param(`${path}.weight`);
      const [out, inF] = w.shape as [number, number];
      const r = this.config.rank;
      const ad = a.data as Float32Array;
      const bd = b.data as Float32Array;
      if (w.data instanceof Float32Array) {
        kernels.gemm(false, false, out, inF, r, this.scaling, bd, ad, 1, w.data);
        continue;
      }
      // bf16: widen, add, round back (what a bf16 PEFT merge does).
      const merged = new Float32Array(out * inF);
      const wide = new Uint32Array(merged.buffer);
      for (let i = 0; i < merged.length; i++) wide[i] = w.data[i]! << 16;
      kernels.gemm(false, false, out, inF, r, this.scaling, bd, ad, 1, merged);
      f32ToBf16Into(merged, w.data);
    }
  }

  /** Writes adapter_config.json + adapter_model.safetensors with PEFT's tensor names. */
  save(dir: string, baseModel = ''): void {
    mkdirSync(dir, { recursive: true });
    const c = this.config;
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({
      peft_type: 'LORA', task_type: 'CAUSAL_LM', base_model_name_or_path: baseModel, r: c.rank,
      lora_alpha: c.alpha, lora_dropout: c.dropout, target_modules: [...c.targets], bias: 'none',
      fan_in_fan_out: false, inference_mode: true, init_lora_weights: true, modules_to_save: null,
      use_rslora: c.useRslora ?? false, use_dora: false, layers_to_transform: null, rank_pattern: {},
      alpha_pattern: {}, revision: null,
    }, null, 2));
    const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    for (const [path, { a, b }] of this.pairs) {
      tensors[`${PEFT_PREFIX}${path}.lora_A.weight`] = { dtype: 'F32', shape: [...a.shape], data: a.data as Float32Array };
      tensors[`${PEFT_PREFIX}${path}.lora_B.weight`] = { dtype: 'F32', shape: [...b.shape], data: b.data as Float32Array };
    }
    writeSafetensors(join(dir, 'adapter_model.safetensors'), tensors, { format: 'pt' });
  }

  /** Reads a PEFT LoRA adapter directory (ours or PEFT's) for `model`, checking every shape. */
  static load(dir: string, model: Transformer, { trainable = false } = {}): LoraAdapter {
    const configPath = join(dir, 'adapter_config.json');
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(readFileSync(configPath, 'utf8'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(`${configPath}: ${code === 'ENOENT' ? 'not found (not a PEFT adapter directory)' : `malformed JSON (${(err as Error).message})`}`);
    }
    const field = (name: string, what: string) => new Error(`${configPath}: field '${name}' ${what}`);
    if (raw.peft_type !== undefined && raw.peft_type !== 'LORA') throw field('peft_type', `is '${String(raw.peft_type)}'; only LORA is supported`);
    if (raw.use_dora === true) throw field('use_dora', 'is true; DoRA adapters are not supported');
    if (raw.fan_in_fan_out === true) throw field('fan_in_fan_out', 'is true; only Linear (not Conv1D) layers are supported');
    const targetsRaw = raw.target_modules;
    const targets = (typeof targetsRaw === 'string' ? [targetsRaw] : Array.isArray(targetsRaw) ? targetsRaw : null) as string[] | null;
    if (!targets) throw field('target_modules', 'must be a list of module names');
    for (const t of targets) if (!(LORA_TARGETS as readonly string[]).includes(t)) throw field('target_modules', `names '${t}', not one of ${LORA_TARGETS.join(', ')}`);
    if (typeof raw.r !== 'number') throw field('r', 'must be a number');
    if (typeof raw.lora_alpha !== 'number') throw field('lora_alpha', 'must be a number');
    const adapter = new LoraAdapter({
      rank: raw.r, alpha: raw.lora_alpha, dropout: typeof raw.lora_dropout === 'number' ? raw.lora_dropout : 0,
      targets: targets as LoraTarget[], useRslora: raw.use_rslora === true,
    });
    const weightsPath = join(dir, 'adapter_model.safetensors');
    if (!existsSync(weightsPath)) throw new Error(`${weightsPath}: not found`);
    const header = readHeader(weightsPath);
    // PEFT may or may not keep the adapter name ('.default') in saved keys; accept both.
    const find = (key: string) => header.tensors.get(`${PEFT_PREFIX}${key}.weight`) ?? header.tensors.get(`${PEFT_PREFIX}${key}.default.weight`);
    for (const path of targetModules(model, adapter.config.targets)) {
      const [out, inF] = model.param(`${path}.weight`).shape as [number, number];
      const pair: Partial<LoraPair> = {};
      for (const [which, shape] of [['lora_A', [adapter.config.rank, inF]], ['lora_B', [out, adapter.config.rank]]] as const) {
        const info = find(`${path}.${which}`);
        if (!info) throw new Error(`${weightsPath}: tensor '${PEFT_PREFIX}${path}.${which}.weight' is missing`);
        if (info.shape.length !== 2 || info.shape[0] !== shape[0] || info.shape[1] !== shape[1]) {
          throw new Error(`${weightsPath}: tensor '${info.name}' has shape [${info.shape}], expected [${shape}]`);
        }
        const t = new Tensor(readTensor(info, weightsPath, 'f32'), shape, { requiresGrad: trainable, name: `${path}.${which}` });
        if (which === 'lora_A') pair.a = t;
        else pair.b = t;
      }
      adapter.pairs.set(path, pair as LoraPair);
    }
    return adapter;
  }
}

/** Module paths of the targeted projections, e.g. model.layers.3.mlp.up_proj. */
export function targetModules(model: Transformer, targets: readonly string[]): string[] {
  const out: string[] = [];
  for (let l = 0; l < model.config.numLayers; l++) {
    for (const t of targets) {
      const group = t.endsWith('_proj') && ['gate_proj', 'up_proj', 'down_proj'].includes(t) ? 'mlp' : 'self_attn';
      out.push(`model.layers.${l}.${group}.${t}`);
    }
  }
  return out;
}

function validate(c: LoraConfig): void {
  if (!Number.isInteger(c.rank) || c.rank < 1) throw new RangeError(`LoRA rank must be a positive integer, got ${c.rank}`);
  if (!(c.alpha > 0)) throw new RangeError(`LoRA alpha must be positive, got ${c.alpha}`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new RangeError(`LoRA dropout must be in [0, 1), got ${c.dropout}`);
  if (c.targets.length === 0) throw new RangeError('LoRA needs at least one target module');
  for (const t of c.targets) if (!(LORA_TARGETS as readonly string[]).includes(t)) throw new RangeError(`unknown LoRA target '${t}' (one of ${LORA_TARGETS.join(', ')})`);
}

