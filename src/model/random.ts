// Random-init model directories of any shape: for benchmarks at real-model sizes (no weights can
// be downloaded here) and for tests. Tensors are generated and written one at a time, so making a
// multi-gigabyte model needs little memory.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from './config.js';
import { expectedShapes } from './weights.js';
import { f32ToBf16Into, writeSafetensorsStreaming, type SafetensorsDtype } from './safetensors.js';

export interface RandomModelOptions {
  dtype?: SafetensorsDtype;
  seed?: number;
  /** Standard deviation of matrix entries (norm weights are 1, biases 0). */
  std?: number;
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
  let state = (options.seed ?? 0) >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 4294967296;
  };
  writeSafetensorsStreaming(join(dir, 'model.safetensors'), entries, (name) => {
    const shape = shapes.get(name)!;
    const n = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    if (name.endsWith('norm.weight')) values.fill(1);
    else if (!name.endsWith('.bias')) {
      // Uniform with the requested standard deviation: cheap, and the distribution is irrelevant here.
      const half = std * Math.sqrt(3);
      for (let i = 0; i < n; i++) values[i] = (2 * uniform() - 1) * half;
    }
    if (dtype === 'F32') return values;
    const bits = new Uint16Array(n);
    f32ToBf16Into(values, bits);
    return bits;
  });
}
