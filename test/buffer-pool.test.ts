// The step-scoped buffer pool: reusing activation and gradient buffers inside a training step must
// not change a single bit of training. Each run trains the real stories260K twice, once with a
// poisoning pool (every returned buffer is filled with NaN, so a read after the return shows up)
// and once with the pool off, and compares losses and weights exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { BufferPool, withBufferPool } from '../src/tensor/buffer-pool.js';
import { backward, checkpoint } from '../src/tensor/autograd.js';
import { add, linear, mul, reshape } from '../src/tensor/ops.js';

const square = (t: Tensor) => mul(t, t);
import { Tensor, uninitialized } from '../src/tensor/tensor.js';
import { loadModel } from '../src/model/load.js';
import { LoraAdapter } from '../src/lora/lora.js';
import { train, type TrainOptions } from '../src/train/trainer.js';
import type { Example } from '../src/train/data.js';
import { randn } from './helpers.js';

const stories = fileURLToPath(new URL('../../../shared/models/stories260K', import.meta.url));

test('a returned buffer is lent again; releasing a stale view of it is a no-op', () => {
  const pool = new BufferPool({ poison: true });
  withBufferPool(pool, () => {
    const a = uninitialized(5000);
    assert.ok(pool.isLent(a));
    a.fill(1);
    pool.release(a);
    assert.ok(Number.isNaN(a[0]!), 'poisoned on return');
    const b = uninitialized(4999); // same size class: the same memory
    assert.equal(b.buffer, a.buffer);
    pool.release(a); // stale: must not return b's buffer
    assert.ok(pool.isLent(b));
    const c = uninitialized(5000);
    assert.notEqual(c.buffer, b.buffer);
  });
  assert.equal(pool.allocatedBytes, 2 * 5120 * 4, 'two buffers of the 5120 class');
  const outside = uninitialized(5000); // the scope has ended: the pool is no longer active
  assert.ok(!pool.isLent(outside));
  assert.equal(pool.allocatedBytes, 2 * 5120 * 4);
});

test('a scope returns its loans; sizes unused through a whole scope are dropped', () => {
  const pool = new BufferPool();
  let kept: Float32Array | null = null;
  withBufferPool(pool, () => { kept = uninitialized(8192); uninitialized(20000); });
  assert.ok(!pool.isLent(kept!));
  const before = pool.allocatedBytes;
  withBufferPool(pool, () => { assert.equal(uninitialized(8000).buffer, kept!.buffer); });
  assert.equal(pool.allocatedBytes, before, 'reused, not allocated');
  withBufferPool(pool, () => { uninitialized(20000); }); // the 20000 buffer was idle in the last scope: gone
  assert.ok(pool.allocatedBytes > before);
});

test('outputs that share an input\'s buffer are not claimed; leaf gradients never come from the pool', () => {
  const pool = new BufferPool({ poison: true });
  const w = new Tensor(randn(96 * 64, 1, 0.1), [96, 64], { requiresGrad: true });
  const x = new Tensor(randn(80 * 64, 2), [80, 64], { requiresGrad: true });
  let reshaped: Tensor | null = null;
  withBufferPool(pool, () => {
    const y = square(linear(x, w)); // 80·96 = 7680 elements: pooled
    assert.ok(pool.isLent(y.data as Float32Array));
    reshaped = reshape(y, [40, 192]);
    const z = square(reshaped);
    backward(z, Float32Array.from({ length: z.numel }, (_, i) => Math.cos(i)));
  });
  // Had reshape claimed y's buffer, it would have been poisoned before silu's backward read it.
  assert.ok(x.grad!.every(Number.isFinite) && w.grad!.every(Number.isFinite));
  assert.ok(!pool.isLent(x.grad!) && x.grad!.some((v) => v !== 0), 'x is a leaf: its gradient is its own');

  // The same without a pool gives the same bits.
  const x2 = new Tensor(x.data, x.shape, { requiresGrad: true });
  const w2 = new Tensor(w.data, w.shape, { requiresGrad: true });
  const z2 = square(reshape(square(linear(x2, w2)), [40, 192]));
  backward(z2, Float32Array.from({ length: z2.numel }, (_, i) => Math.cos(i)));
  assert.deepEqual(x.grad, x2.grad);
  assert.deepEqual(w.grad, w2.grad);

  // A leaf over a pooled buffer, read by an older node than its reshape: reshape must not claim it.
  withBufferPool(pool, () => {
    const leaf = new Tensor(uninitialized(80 * 64), [80, 64], { requiresGrad: true });
    leaf.data.set(x.data);
    const older = square(leaf);
    const viewed = reshape(leaf, [80, 64]);
    backward(add(older, viewed), new Float32Array(80 * 64).fill(1));
    assert.ok(leaf.grad!.every(Number.isFinite), 'square read its input after reshape ran');
  });

  // A leaf that receives a pooled gradient (the second input of add gets a pooled copy) keeps a copy.
  const c = new Tensor(new Float32Array(80 * 96), [80, 96], { requiresGrad: true });
  withBufferPool(pool, () => {
    const y = add(linear(x, w), c);
    backward(y, new Float32Array(y.numel).fill(2));
  });
  assert.ok(!pool.isLent(c.grad!) && c.grad!.every((v) => v === 2), 'c.grad survived the scope');
});

test('a checkpointed block returns its unrecorded activations at once, keeping only its output', () => {
  const pool = new BufferPool();
  const w = new Tensor(randn(128 * 64, 3, 0.1), [128, 64], { requiresGrad: true });
  const x = new Tensor(randn(64 * 64, 4), [64, 64], { requiresGrad: true });
  withBufferPool(pool, () => {
    const mark = pool.mark();
    const out = checkpoint((h) => linear(square(linear(h, w)), new Tensor(w.data, [64, 128])), [x]);
    // Of the block's three 64×128 / 64×64 activations only the output is still lent.
    assert.equal(pool.mark() - mark, 3);
    assert.ok(pool.isLent(out.data as Float32Array));
    const allocated = pool.allocatedBytes;
    uninitialized(8192);
    uninitialized(8192);
    assert.equal(pool.allocatedBytes, allocated, 'the two 64×128 activations were returned');
    backward(out, new Float32Array(out.numel).fill(1));
  });
  assert.ok(w.grad!.every(Number.isFinite));
});

/** Prompt/completion examples of varied lengths over stories260K's vocabulary. */
function examples(n: number): Example[] {
  return Array.from({ length: n }, (_, k) => {
    const len = 60 + ((k * 37) % 50);
    const ids = Array.from({ length: len }, (_, i) => 3 + ((k * 131 + i * 17 + i * i) % 500));
    return { ids, learn: ids.map((_, i) => i >= 10 + (k % 7)) };
  });
}

function trainTwice(setup: 'lora' | 'full', options: TrainOptions, dropout = 0): void {
  const run = (bufferPool: BufferPool | null) => {
    const { model } = loadModel(stories);
    let params: Tensor[];
    let adapter: LoraAdapter | null = null;
    if (setup === 'full') {
      params = [...model.params.values()];
      for (const p of params) p.requiresGrad = true;
    } else {
      adapter = LoraAdapter.create(model, {
        rank: 8, alpha: 16, dropout, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
      }, 5);
      adapter.attach(model);
      params = adapter.parameters();
    }
    const result = train(model, params, examples(6), {
      ...options, bufferPool, seed: 11,
      beforeMicroBatch: adapter ? (i) => { adapter!.dropoutSeed = 100 + i; } : undefined,
    });
    return { losses: result.steps.map((s) => s.loss), weights: params.map((p) => p.data as Float32Array) };
  };
  const pool = new BufferPool({ poison: true });
  const pooled = run(pool);
  const plain = run(null);
  assert.ok(pool.mark() > 0 && pool.allocatedBytes > 0, 'the pool was used');
  assert.ok(pooled.losses.every(Number.isFinite));
  assert.deepEqual(pooled.losses, plain.losses);
  pooled.weights.forEach((w, i) => assert.deepEqual(w, plain.weights[i], `parameter ${i}`));
}

test('pooled LoRA training is bit-identical: padded batches, dropout, completion-only, gradient accumulation', () => {
  trainTwice('lora', { lr: 1e-2, steps: 3, batchSize: 2, gradAccum: 2, optimizer: 'adamw', weightDecay: 0.01 }, 0.1);
});

test('pooled LoRA training is bit-identical: packed sequences with gradient checkpointing', () => {
  trainTwice('lora', { lr: 1e-2, steps: 3, batchSize: 3, packLength: 160, gradientCheckpointing: true }, 0);
});

test('pooled full finetuning is bit-identical, with and without gradient checkpointing', () => {
  trainTwice('full', { lr: 1e-3, steps: 2, batchSize: 2, optimizer: 'adamw', weightDecay: 0.1 });
  trainTwice('full', { lr: 1e-3, steps: 2, batchSize: 2, gradientCheckpointing: true, optimizer: 'sgd' });
});
