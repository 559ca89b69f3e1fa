// Random-init models of any shape: in memory (pretraining from scratch) or written as a model
// directory (benchmarks at real-model sizes, since no weights can be downloaded here). Tensors are
// generated one at a time, so writing a multi-gigabyte model needs little memory.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, type ModelConfig } from './config.js';
import { expectedShapes, type RawTensor } from './weights.js';
import { f32ToBf16Into, writeSafetensorsStreaming, type SafetensorsDtype } from './safetensors.js';
import { seededRandom } from '../util/random.js';

export interface RandomModelOptions {
  dtype?: SafetensorsDtype;
  seed?: number;
  /** Standard deviation of matrix entries (HF's initializer_range; norm weights are 1, biases 0). */
  std?: number;
}

/** Initialises one tensor as Hugging Face's _init_weights does: N(0, std) matrices, unit norms, zero biases. */
function initTensor(name: string, shape: number[], std: number, random: () => number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  if (name.endsWith('norm.weight')) values.fill(1);
  else if (!name.endsWith('.bias')) {
    for (let i = 0; i < n; i += 2) {
      // Box–Muller: two normals per pair of uniforms.
      const r = Math.sqrt(-2 * Math.log(random() || 1e-12)) * std;
      const theta = 2 * Math.PI * random();
      values[i] = r * Math.cos(theta);
      if (i + 1 < n) values[i + 1] = r * Math.sin(theta);
    }
  }
  return values;
}

/** Fresh fp32 weights for `config`, deterministic for a seed. */
export function initWeights(config: ModelConfig, seed = 0, std = 0.02): Map<string, RawTensor> {
  const random = seededRandom(seed);
  const out = new Map<string, RawTensor>();
  for (const [name, shape] of expectedShapes(config)) out.set(name, { shape, data: initTensor(name, shape, std, random) });
  return out;
}

/** Writes config.json and model.safetensors for `config` (a Hugging Face config.json object). */
export function writeRandomModel(dir: string, config: Record<string, unknown>, options: RandomModelOptions = {}): void {
  const parsed = parseConfig(config, join(dir, 'config.json'));
  const dtype = options.dtype ?? 'F32';
  const std = options.std ?? 0.02;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, torch_dtype: dtype === 'F32' ? 'float32' : 'bfloat16' }, null, 2));
  const shapes = expectedShapes(parsed);
  const entries = [...shapes].map(([name, shape]) => ({ name, dtype, shape }));
  const random = seededRandom(options.seed ?? 0);
  writeSafetensorsStreaming(join(dir, 'model.safetensors'), entries, (name) => {
    const values = initTensor(name, shapes.get(name)!, std, random);
    if (dtype === 'F32') return values;
    const bits = new Uint16Array(values.length);
    f32ToBf16Into(values, bits);
    return bits;
  });
}
