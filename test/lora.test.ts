// LoRA against PyTorch: a given adapter trained by our trainer for several SGD and AdamW steps
// (weight decay, linear warmup/decay, clipping) must reproduce PyTorch's per-step losses and final
// adapter. Plus PEFT semantics (init, scaling, merge, save/load with PEFT's names) and the NaN stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../src/model/load.js';
import { LoraAdapter, type LoraTarget } from '../src/lora/lora.js';
import { train, TrainingError } from '../src/train/trainer.js';
import { backward, noGrad, zeroGrad } from '../src/tensor/autograd.js';
import { crossEntropy, gatherRows } from '../src/tensor/ops.js';
import { padBatch } from '../src/train/data.js';
import { readHeader } from '../src/model/safetensors.js';
import { Tensor } from '../src/tensor/tensor.js';
import { assertClose, maxAbsDiff } from './helpers.js';

const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));

interface LoraFixture {
  config: string;
  rank: number;
  alpha: number;
  targets: LoraTarget[];
  examples: number[][];
  initial: Record<string, { A: number[]; B: number[] }>;
  runs: Record<string, {
    optimizer: 'sgd' | 'adamw'; lr: number; steps: number; weight_decay: number; max_grad_norm: number;
    schedule: 'constant' | 'linear'; warmup: number; losses: number[];
    final: Record<string, { A: number[]; B: number[] }>;
  }>;
}

function adapterFrom(fixture: LoraFixture, model: ReturnType<typeof loadModel>['model'], values: LoraFixture['initial']): LoraAdapter {
  const adapter = LoraAdapter.create(model, { rank: fixture.rank, alpha: fixture.alpha, dropout: 0, targets: fixture.targets });
  for (const [path, pair] of adapter.pairs) {
    (pair.a.data as Float32Array).set(values[path]!.A);
    (pair.b.data as Float32Array).set(values[path]!.B);
  }
  return adapter;
}

for (const arch of ['llama', 'qwen2']) {
  const fixture: LoraFixture = JSON.parse(readFileSync(join(fixtures, 'lora', `${arch}.json`), 'utf8'));
  for (const [name, run] of Object.entries(fixture.runs)) {
    test(`${arch} LoRA, ${run.steps} ${name} steps: losses and final adapter match PyTorch`, () => {
      const { model } = loadModel(join(fixtures, 'models', `${arch}-f32`));
      const adapter = adapterFrom(fixture, model, fixture.initial);
      adapter.attach(model);
      const examples = fixture.examples.map((ids) => ({ ids, learn: ids.map(() => true) }));
      const result = train(model, adapter.parameters(), examples, {
        lr: run.lr, steps: run.steps, optimizer: run.optimizer, weightDecay: run.weight_decay,
        maxGradNorm: run.max_grad_norm, schedule: run.schedule, warmup: run.warmup, shuffle: false, batchSize: 1,
      });
      assertClose(result.steps.map((s) => s.loss), run.losses, { atol: 0, rtol: 1e-4, what: 'per-step loss' });
      for (const [path, pair] of adapter.pairs) {
        assertClose(pair.a.data as Float32Array, run.final[path]!.A, { atol: 1e-4, rtol: 0, what: `${path} A` });
        assertClose(pair.b.data as Float32Array, run.final[path]!.B, { atol: 1e-4, rtol: 0, what: `${path} B` });
      }
    });
  }
}

test('a fresh adapter leaves the model unchanged (B = 0) and A follows PEFT\'s Kaiming-uniform bound', () => {
  const { model } = loadModel(join(fixtures, 'models', 'qwen2-f32'));
  const ids = Int32Array.from([4, 8, 15, 16, 23, 42]);
  const base = noGrad(() => model.forward(ids, 1, 6)).data as Float32Array;
  const adapter = LoraAdapter.create(model, { rank: 8, alpha: 16, dropout: 0, targets: ['q_proj', 'v_proj'] }, 7);
  assert.equal(adapter.pairs.size, 2 * model.config.numLayers);
  assert.equal(adapter.scaling, 2);
  for (const { a, b } of adapter.pairs.values()) {
    const bound = 1 / Math.sqrt(a.shape[1]!);
    assert.ok((a.data as Float32Array).every((x) => Math.abs(x) <= bound));
    assert.ok(Math.max(...(a.data as Float32Array).map(Math.abs)) > 0.8 * bound);
    assert.ok((b.data as Float32Array).every((x) => x === 0));
  }
  adapter.attach(model);
  assert.equal(maxAbsDiff(noGrad(() => model.forward(ids, 1, 6)).data as Float32Array, base), 0);
});

test('merged adapter gives the unmerged logits; detaching restores the base; save/load keeps PEFT names', () => {
  const fixture: LoraFixture = JSON.parse(readFileSync(join(fixtures, 'lora', 'qwen2.json'), 'utf8'));
  const ids = Int32Array.from([4, 8, 15, 16, 23, 42, 7]);
  const { model } = loadModel(join(fixtures, 'models', 'qwen2-f32'));
  const base = noGrad(() => model.forward(ids, 1, 7)).data as Float32Array;
  const adapter = adapterFrom(fixture, model, fixture.runs.adamw!.final);
  adapter.attach(model);
  const adapted = noGrad(() => model.forward(ids, 1, 7)).data as Float32Array;
  assert.ok(maxAbsDiff(adapted, base) > 1e-2, 'the adapter changes the output');

  const dir = mkdtempSync(join(tmpdir(), 'seal-lora-'));
  adapter.save(dir, 'qwen2-f32');
  const config = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
  assert.equal(config.peft_type, 'LORA');
  assert.equal(config.r, 3);
  assert.equal(config.lora_alpha, 12);
  assert.deepEqual(config.target_modules, fixture.targets);
  const names = [...readHeader(join(dir, 'adapter_model.safetensors')).tensors.keys()];
  assert.ok(names.includes('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight'));
  assert.ok(names.includes('base_model.model.model.layers.1.mlp.down_proj.lora_B.weight'));

  LoraAdapter.detach(model);
  assert.equal(maxAbsDiff(noGrad(() => model.forward(ids, 1, 7)).data as Float32Array, base), 0);
  const loaded = LoraAdapter.load(dir, model);
  loaded.attach(model);
  assert.equal(maxAbsDiff(noGrad(() => model.forward(ids, 1, 7)).data as Float32Array, adapted), 0);

  LoraAdapter.detach(model);
  loaded.mergeInto(model);
  const merged = noGrad(() => model.forward(ids, 1, 7)).data as Float32Array;
  assertClose(merged, adapted, { atol: 1e-4, rtol: 0, what: 'merged logits' });
});

test('a frozen head runs only at rows with a target: the same loss and adapter gradients, to the bit', () => {
  // The real stories260K, a padded batch of prompt/completion examples (completion-only targets):
  // 26 of 3·40 rows have a target. Every computed row is the same GEMM row as in the full head.
  const { model } = loadModel(fileURLToPath(new URL('../../../shared/models/stories260K', import.meta.url)));
  const adapter = LoraAdapter.create(model, { rank: 4, alpha: 8, dropout: 0, targets: ['q_proj', 'v_proj', 'down_proj'] }, 3);
  for (const { b } of adapter.pairs.values()) (b.data as Float32Array).forEach((_, i, d) => { d[i] = Math.sin(i) * 0.05; });
  adapter.attach(model);
  const example = (n: number, prompt: number, seed: number) => {
    const ids = Array.from({ length: n }, (_, i) => (seed * 131 + i * 17 + 3) % model.config.vocabSize);
    return { ids, learn: ids.map((_, i) => i >= prompt) };
  };
  const batch = padBatch([example(40, 30, 1), example(25, 17, 2), example(33, 25, 3)], 0);
  const rows = Int32Array.from([...batch.targets.keys()].filter((i) => batch.targets[i] !== -100));
  assert.equal(rows.length, 26);
  const run = (gather: boolean) => {
    zeroGrad(adapter.parameters());
    const logits = model.forward(batch.ids, batch.B, batch.T, gather ? { logitRows: rows } : {});
    assert.deepEqual(logits.shape, [gather ? 26 : 120, model.config.vocabSize]);
    const loss = crossEntropy(logits, gather ? Int32Array.from(rows, (r) => batch.targets[r]!) : batch.targets);
    backward(loss);
    return [loss.data as Float32Array, ...adapter.parameters().map((p) => Float32Array.from(p.grad!))];
  };
  const full = run(false);
  const gathered = run(true);
  assert.ok(full[0]![0]! > 1);
  full.forEach((x, i) => assert.deepEqual(gathered[i], x, `tensor ${i} (0 = loss, then the adapter's gradients)`));

  const x = new Tensor(Float32Array.from({ length: 12 }, (_, i) => i), [4, 3], { requiresGrad: true });
  const y = gatherRows(x, Int32Array.from([1, 3]));
  assert.deepEqual([...y.data as Float32Array], [3, 4, 5, 9, 10, 11]);
  backward(y, Float32Array.from([1, 2, 3, 4, 5, 6]));
  assert.deepEqual([...x.grad!], [0, 0, 0, 1, 2, 3, 0, 0, 0, 4, 5, 6]);
  assert.throws(() => gatherRows(x, Int32Array.from([2, 1])), /gatherRows: rows\[1\] = 1 must be ascending, distinct and within 0\.\.3/);
  assert.throws(() => gatherRows(x, Int32Array.from([4])), /rows\[0\] = 4/);
});

test('bad adapter directories name the file and field', () => {
  const { model } = loadModel(join(fixtures, 'models', 'llama-f32'));
  const dir = mkdtempSync(join(tmpdir(), 'seal-badlora-'));
  assert.throws(() => LoraAdapter.load(dir, model), /adapter_config\.json: not found/);
  writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['q_proj', 'c_attn'] }));
  assert.throws(() => LoraAdapter.load(dir, model), /field 'target_modules' names 'c_attn'/);
  const good = LoraAdapter.create(model, { rank: 4, alpha: 8, dropout: 0, targets: ['q_proj'] });
  good.save(dir);
  writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', r: 5, lora_alpha: 8, target_modules: ['q_proj'] }));
  assert.throws(() => LoraAdapter.load(dir, model), /adapter_model\.safetensors: tensor '.*q_proj\.lora_A\.weight' has shape \[4,32\], expected \[5,32\]/);
});

test('a NaN loss stops training with the last good weights', () => {
  const { model } = loadModel(join(fixtures, 'models', 'llama-f32'));
  const adapter = LoraAdapter.create(model, { rank: 2, alpha: 4, dropout: 0, targets: ['q_proj'] }, 1);
  adapter.attach(model);
  const examples = [{ ids: [3, 4, 5, 6], learn: [true, true, true, true] }];
  const snapshots: Float32Array[][] = [];
  const poison = model.param('model.norm.weight');
  assert.throws(() => train(model, adapter.parameters(), examples, {
    lr: 1e-2, steps: 5, shuffle: false,
    onStep: (s) => {
      snapshots.push(adapter.parameters().map((p) => (p.data as Float32Array).slice()));
      if (s.step === 2) (poison.data as Float32Array)[0] = NaN;
    },
  }), (err: unknown) => err instanceof TrainingError && err.step === 3 && /loss is NaN/.test(err.message));
  adapter.parameters().forEach((p, i) => assert.deepEqual(p.data, snapshots[1]![i], 'weights are those after step 2'));
  assert.ok(adapter.parameters().every((p: Tensor) => (p.data as Float32Array).every(Number.isFinite)));
});
