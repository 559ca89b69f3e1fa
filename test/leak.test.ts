// 10,000 forward/backward steps of a small transformer must not grow the process: every saved
// activation, gradient node and native scratch buffer is released or reused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../src/model/load.js';
import { backward, zeroGrad } from '../src/tensor/autograd.js';
import { crossEntropy } from '../src/tensor/ops.js';
import { kernels } from '../src/kernels/index.js';

const dir = fileURLToPath(new URL('../../test/fixtures/models/qwen2-f32', import.meta.url));

test('RSS stays flat over 10,000 forward/backward steps', (t) => {
  const { model } = loadModel(dir);
  const params = [...model.params.values()];
  for (const p of params) p.requiresGrad = true;
  const moments = params.map((p) => ({ m: new Float32Array(p.numel), v: new Float32Array(p.numel) }));
  const T = 9;
  const ids = new Int32Array(T);
  const targets = new Int32Array(T);
  const step = (i: number) => {
    for (let t = 0; t < T; t++) {
      ids[t] = (i * 7 + t * 13) % 97;
      targets[t] = t + 1 < T ? (i * 7 + (t + 1) * 13) % 97 : -100;
    }
    const loss = crossEntropy(model.forward(ids, 1, T), targets);
    backward(loss);
    // An optimizer step keeps the numbers moving like a real run.
    params.forEach((p, j) => kernels.adamw(p.numel, p.data as Float32Array, p.grad!, moments[j]!.m, moments[j]!.v, 1e-4, 0.9, 0.999, 1e-8, 0, i + 1));
    zeroGrad(params);
    return loss.data[0]!;
  };
  for (let i = 0; i < 1000; i++) step(i);
  const before = process.memoryUsage().rss;
  let last = 0;
  for (let i = 1000; i < 10000; i++) last = step(i);
  const after = process.memoryUsage().rss;
  assert.ok(Number.isFinite(last), `loss is ${last}`);
  const growthMb = (after - before) / 2 ** 20;
  t.diagnostic(`RSS after 1,000 steps ${(before / 2 ** 20).toFixed(1)} MB, after 10,000 ${(after / 2 ** 20).toFixed(1)} MB`);
  assert.ok(growthMb < 24, `RSS grew by ${growthMb.toFixed(1)} MB over 9,000 steps`);
});
