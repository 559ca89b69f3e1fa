// Optimizers and learning-rate schedules with PyTorch's and Hugging Face's exact semantics.
import { kernels } from '../kernels/index.js';
import type { Tensor } from '../tensor/tensor.js';

export type OptimizerName = 'adamw' | 'sgd';
export type ScheduleName = 'constant' | 'linear' | 'cosine';

export interface OptimizerOptions {
  name: OptimizerName;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/** torch.optim.AdamW or torch.optim.SGD (no momentum) over a list of fp32 parameters. */
export class Optimizer {
  private readonly state: { m: Float32Array; v: Float32Array }[] | null;
  step = 0;

  constructor(readonly params: Tensor[], readonly options: OptimizerOptions) {
    this.state = options.name === 'adamw'
      ? params.map((p) => ({ m: new Float32Array(p.numel), v: new Float32Array(p.numel) }))
      : null;
  }

  /** Applies one update with learning rate lr; parameters without a gradient are left alone. */
  update(lr: number): void {
    this.step++;
    const o = this.options;
    const wd = o.weightDecay ?? 0;
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      const data = p.data as Float32Array;
      if (this.state) {
        const { m, v } = this.state[i]!;
        kernels.adamw(p.numel, data, p.grad, m, v, lr, o.beta1 ?? 0.9, o.beta2 ?? 0.999, o.eps ?? 1e-8, wd, this.step);
      } else {
        // torch SGD: g ← g + wd·p; p ← p − lr·g  (fp32, like torch's add_/add_ pair)
        const g = p.grad;
        for (let j = 0; j < data.length; j++) {
          const gj = wd ? Math.fround(g[j]! + Math.fround(wd * data[j]!)) : g[j]!;
          data[j] = data[j]! - Math.fround(lr * gj);
        }
      }
    });
  }

  /** The optimizer's moments, for checkpoints (null for SGD). */
  moments(): { m: Float32Array; v: Float32Array }[] | null {
    return this.state;
  }
}

/**
 * Learning rate at optimizer step `step` (0-based) of `total`, as transformers' get_*_schedule_with_warmup:
 * linear warmup from 0, then constant, linear decay to 0, or half-cosine decay to 0.
 */
export function scheduledLr(base: number, schedule: ScheduleName, step: number, total: number, warmup = 0, minFraction = 0): number {
  if (step < warmup) return (base * step) / Math.max(1, warmup);
  if (schedule === 'constant') return base;
  const progress = (step - warmup) / Math.max(1, total - warmup);
  const decay = schedule === 'linear'
    ? Math.max(0, (total - step) / Math.max(1, total - warmup))
    : Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
  // minFraction > 0 decays to base·minFraction instead of 0 (pretraining); 0 is HF's schedule.
  return base * (minFraction + (1 - minFraction) * decay);
}

/** Σ g², in float64, four chains (one chain waits on the adder's latency every element). */
function sumOfSquares(g: Float32Array): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const n4 = g.length & ~3;
  for (let i = 0; i < n4; i += 4) {
    const a = g[i]!, b = g[i + 1]!, c = g[i + 2]!, d = g[i + 3]!;
    s0 += a * a; s1 += b * b; s2 += c * c; s3 += d * d;
  }
  for (let i = n4; i < g.length; i++) s0 += g[i]! * g[i]!;
  return s0 + s1 + (s2 + s3);
}

/** torch.nn.utils.clip_grad_norm_: total L2 norm over all grads; scales them when above maxNorm. */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  let sq = 0;
  for (const p of params) if (p.grad) sq += sumOfSquares(p.grad);
  const norm = Math.sqrt(sq);
  if (maxNorm > 0 && Number.isFinite(norm)) {
    const coef = maxNorm / (norm + 1e-6);
    if (coef < 1) {
      for (const p of params) if (p.grad) kernels.scale(p.grad.length, p.grad, coef, p.grad);
    }
  }
  return norm;
}
