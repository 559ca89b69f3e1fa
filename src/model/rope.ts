// Rotary embedding tables, computed as Hugging Face computes them: inverse frequencies in fp32
// (Math.fround at each step mirrors torch's float32 arithmetic), with linear or llama3 scaling.
import type { ModelConfig } from './config.js';

export interface RopeTables {
  /** [maxPos × headDim/2] */
  cos: Float32Array;
  sin: Float32Array;
  maxPos: number;
}

export function inverseFrequencies(config: Pick<ModelConfig, 'headDim' | 'ropeTheta' | 'ropeScaling'>): Float32Array {
  const dim = config.headDim;
  const half = dim / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    const exponent = Math.fround(Math.fround(2 * i) / dim);
    inv[i] = Math.fround(1 / Math.fround(config.ropeTheta ** exponent));
  }
  const s = config.ropeScaling;
  if (s.type === 'linear') {
    for (let i = 0; i < half; i++) inv[i] = Math.fround(inv[i]! / s.factor);
  } else if (s.type === 'llama3') {
    const lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
    const highWavelen = s.originalMaxPositions / s.highFreqFactor;
    // Step by step in fp32, as torch evaluates the same expression on float32 tensors.
    const f32 = Math.fround;
    for (let i = 0; i < half; i++) {
      const f = inv[i]!;
      const wavelen = f32((2 * Math.PI) / f);
      const scaled = wavelen > lowWavelen ? f32(f / s.factor) : f;
      if (!(wavelen < highWavelen) && !(wavelen > lowWavelen)) {
        const smooth = f32(f32(f32(s.originalMaxPositions / wavelen) - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor));
        inv[i] = f32(f32(f32(f32(1 - smooth) * scaled) / s.factor) + f32(smooth * scaled));
      } else {
        inv[i] = scaled;
      }
    }
  }
  return inv;
}

export function ropeTables(config: Pick<ModelConfig, 'headDim' | 'ropeTheta' | 'ropeScaling'>, maxPos: number): RopeTables {
  const inv = inverseFrequencies(config);
  const half = inv.length;
  const cos = new Float32Array(maxPos * half);
  const sin = new Float32Array(maxPos * half);
  for (let p = 0; p < maxPos; p++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(p * inv[i]!);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin, maxPos };
}
