// The SFT loop: LoRA or full finetuning of a Transformer on tokenised examples. Epochs or a step
// budget, batches (padded or packed), gradient accumulation, clipping, schedules, seeded shuffling,
// gradient checkpointing; a NaN or infinite loss stops the run before it touches the weights.
import { backward, zeroGrad } from '../tensor/autograd.js';
import { BufferPool, withBufferPool } from '../tensor/buffer-pool.js';
import { crossEntropy } from '../tensor/ops.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Transformer } from '../model/transformer.js';
import { seededRandom, shuffleInPlace } from '../util/random.js';
import { packBatch, packExamples, padBatch, type Batch, type Example } from './data.js';
import { clipGradNorm, Optimizer, scheduledLr, type OptimizerName, type ScheduleName } from './optimizer.js';

export interface TrainOptions {
  lr: number;
  /** Passes over the data (default 1); ignored when `steps` is given. */
  epochs?: number;
  /** Optimizer steps to run instead of whole epochs (the data repeats as needed). */
  steps?: number;
  batchSize?: number;
  gradAccum?: number;
  optimizer?: OptimizerName;
  weightDecay?: number;
  /** Clip the global gradient norm to this (default 1.0, HF's default); 0 = no clipping. */
  maxGradNorm?: number;
  schedule?: ScheduleName;
  warmup?: number;
  /** The schedule decays to lr·minLrFraction rather than 0 (default 0, as HF). */
  minLrFraction?: number;
  seed?: number;
  /** Reshuffle the examples every epoch (default true). */
  shuffle?: boolean;
  /** Pack examples side by side into rows of `packLength` tokens instead of padding each batch. */
  packLength?: number;
  padId?: number;
  gradientCheckpointing?: boolean;
  /**
   * Where each micro-batch's activation and gradient buffers come from and go back to (see
   * tensor/buffer-pool.ts): a fresh pool by default; null leaves them to the garbage collector.
   */
  bufferPool?: BufferPool | null;
  /** Called before each micro-batch's forward with its global index (LoRA dropout seeds use it). */
  beforeMicroBatch?: (index: number) => void;
  onStep?: (report: StepReport) => void;
}

export interface StepReport {
  step: number;
  totalSteps: number;
  loss: number;
  lr: number;
  gradNorm: number;
  /** Tokens processed so far (real tokens, not pads). */
  tokens: number;
  seconds: number;
}

export interface TrainResult {
  steps: StepReport[];
  tokensPerSecond: number;
  seconds: number;
}

export class TrainingError extends Error {
  constructor(message: string, readonly step: number) {
    super(message);
    this.name = 'TrainingError';
  }
}

export function train(model: Transformer, params: Tensor[], examples: Example[], options: TrainOptions): TrainResult {
  if (examples.length === 0) throw new Error('train: no examples');
  if (params.length === 0) throw new Error('train: no trainable parameters');
  const batchSize = options.batchSize ?? 1;
  const accum = options.gradAccum ?? 1;
  const random = seededRandom(options.seed ?? 0);
  const padId = options.padId ?? 0;

  const epochBatches = (): Example[][] => {
    const order = examples.slice();
    if (options.shuffle !== false) shuffleInPlace(order, random);
    if (options.packLength) return packExamples(order, options.packLength);
    const out: Example[][] = [];
    for (let i = 0; i < order.length; i += batchSize) out.push(order.slice(i, i + batchSize));
    return out;
  };
  const microPerEpoch = options.packLength
    ? packExamples(examples, options.packLength).length
    : Math.ceil(examples.length / batchSize);
  const stepsPerEpoch = Math.max(1, Math.ceil(microPerEpoch / accum));
  const totalSteps = options.steps ?? stepsPerEpoch * (options.epochs ?? 1);
  const optimizer = new Optimizer(params, { name: options.optimizer ?? 'adamw', weightDecay: options.weightDecay ?? 0 });
  const maxGradNorm = options.maxGradNorm ?? 1.0;
  const reports: StepReport[] = [];
  const start = performance.now();
  let tokens = 0;
  let micro = 0;
  let queue: Example[][] = [];

  // A frozen head (LoRA) runs only at positions with a target: prompt tokens under a
  // completion-only loss, padding and each sequence's last token cost no vocabulary-sized GEMM.
  // A trainable head keeps every row, so its gradient sums the same rows in the same order.
  const headFrozen = !model.head().requiresGrad;
  const pool = options.bufferPool === undefined ? new BufferPool() : options.bufferPool;
  const scoped = <T>(fn: () => T): T => (pool ? withBufferPool(pool, fn) : fn());
  zeroGrad(params);
  for (let step = 0; step < totalSteps; step++) {
    let lossSum = 0;
    let count = 0;
    // An optimizer step takes `accum` micro-batches; in epoch mode a step never crosses an epoch's
    // end, so the last one may take fewer (as HF's Trainer does).
    for (let a = 0; a < accum; a++) {
      if (queue.length === 0) queue = epochBatches();
      const group = queue.shift()!;
      const batch: Batch = options.packLength ? packBatch(group, padId, options.packLength) : padBatch(group, padId);
      options.beforeMicroBatch?.(micro++);
      const rows = headFrozen ? rowsWithTargets(batch.targets) : null;
      // Activations and their gradients live only inside this scope: their buffers are reused.
      const value = scoped(() => {
        const logits = model.forward(batch.ids, batch.B, batch.T, {
          positions: batch.positions, segStart: batch.segStart, checkpoint: options.gradientCheckpointing, reuseLogitsBuffer: true,
          logitRows: rows?.rows,
        });
        const loss = crossEntropy(logits, rows?.targets ?? batch.targets, { reuseLogits: true });
        const lossValue = loss.data[0]!;
        if (Number.isFinite(lossValue)) backward(loss, Float32Array.of(1 / accum));
        return lossValue;
      });
      if (!Number.isFinite(value)) {
        zeroGrad(params);
        throw new TrainingError(`step ${step + 1}: loss is ${value}; stopping with the weights of the last good step`, step + 1);
      }
      lossSum += value;
      count++;
      tokens += group.reduce((n, e) => n + e.ids.length, 0);
      if (queue.length === 0 && options.steps === undefined) break;
    }
    // The micro-batch losses were each divided by accum; rescale when the step had fewer.
    if (count < accum) for (const p of params) if (p.grad) scaleInPlace(p.grad, accum / count);
    const gradNorm = clipGradNorm(params, maxGradNorm);
    if (!Number.isFinite(gradNorm)) {
      zeroGrad(params);
      throw new TrainingError(`step ${step + 1}: gradient norm is ${gradNorm}; stopping with the weights of the last good step`, step + 1);
    }
    const lr = scheduledLr(options.lr, options.schedule ?? 'constant', step, totalSteps, options.warmup ?? 0, options.minLrFraction ?? 0);
    optimizer.update(lr);
    zeroGrad(params);
    const report: StepReport = {
      step: step + 1, totalSteps, loss: lossSum / count, lr, gradNorm, tokens, seconds: (performance.now() - start) / 1000,
    };
    reports.push(report);
    options.onStep?.(report);
  }
  const seconds = (performance.now() - start) / 1000;
  return { steps: reports, tokensPerSecond: tokens / Math.max(seconds, 1e-9), seconds };
}

/** The rows that have a target and their targets; null when every row has one (or none does). */
function rowsWithTargets(targets: Int32Array): { rows: Int32Array; targets: Int32Array } | null {
  let n = 0;
  for (let i = 0; i < targets.length; i++) if (targets[i] !== -100) n++;
  if (n === targets.length || n === 0) return null;
  const rows = new Int32Array(n);
  const kept = new Int32Array(n);
  for (let i = 0, j = 0; i < targets.length; i++) {
    if (targets[i] === -100) continue;
    rows[j] = i;
    kept[j++] = targets[i]!;
  }
  return { rows, targets: kept };
}

function scaleInPlace(g: Float32Array, s: number): void {
  for (let i = 0; i < g.length; i++) g[i] = g[i]! * s;
}
