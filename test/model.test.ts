// Models against references: PyTorch logits for random-init Llama (GQA, llama3 rope scaling), Qwen2
// (biases, tied), Qwen3 (q/k norm, head_dim != hidden/heads) and Mistral (sliding window), fp32
// and bf16 weights; the real pretrained stories260K against its expected.json; cached decoding
// and batched generation against the plain forward; clear errors for broken model directories.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../src/model/load.js';
import { KVCache } from '../src/model/kv-cache.js';
import { generate } from '../src/generate/generate.js';
import { noGrad } from '../src/tensor/autograd.js';
import { writeSafetensors } from '../src/model/safetensors.js';
import { readHeader, readTensor } from '../src/model/safetensors.js';
import { assertClose, maxAbsDiff } from './helpers.js';

const fixtures = fileURLToPath(new URL('../../test/fixtures/models/', import.meta.url));
const stories = fileURLToPath(new URL('../../../shared/models/stories260K/', import.meta.url));

for (const arch of ['llama', 'qwen2', 'qwen3', 'mistral']) {
  for (const dtype of ['f32', 'bf16']) {
    test(`${arch} ${dtype}: per-token logits match PyTorch within 1e-4`, () => {
      const dir = join(fixtures, `${arch}-${dtype}`);
      const { model } = loadModel(dir);
      const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
      const ids = Int32Array.from(expected.input_ids.flat());
      const B = expected.input_ids.length;
      const T = expected.input_ids[0].length;
      const logits = noGrad(() => model.forward(ids, B, T));
      assert.deepEqual(logits.shape, [B * T, model.config.vocabSize]);
      assertClose(logits.data as Float32Array, expected.logits.flat(2), { atol: 1e-4, rtol: 0, what: `${arch}-${dtype} logits` });
    });
  }
}

test('fp32 weights loaded as bf16 round exactly like the bf16 file; norms and biases stay fp32', () => {
  const fromF32 = loadModel(join(fixtures, 'qwen2-f32'), { dtype: 'bf16' });
  const fromBf16 = loadModel(join(fixtures, 'qwen2-bf16'));
  for (const [name, p] of fromF32.model.params) {
    const q = fromBf16.model.param(name);
    if (p.shape.length === 2) {
      assert.ok(p.isBf16 && q.isBf16, name);
      assert.deepEqual(p.data, q.data, name);
    } else {
      assert.ok(!p.isBf16, `${name} stays fp32`);
    }
  }
});

test('stories260K reproduces expected.json: prompt ids, greedy continuations, last logits', () => {
  const { model, tokenizer, generation } = loadModel(stories);
  const expected = JSON.parse(readFileSync(join(stories, 'expected.json'), 'utf8'));
  assert.ok(tokenizer);
  assert.deepEqual(tokenizer.encode(expected.prompt, { addSpecialTokens: false }), expected.prompt_ids);
  for (const c of expected.encode_cases) assert.deepEqual(tokenizer.encode(c.text, { addSpecialTokens: false }), c.ids, c.text);
  const bos = generation.bosTokenId!;
  const prompt = [bos, ...expected.prompt_ids];
  const logits = noGrad(() => model.forward(Int32Array.from(prompt), 1, prompt.length, { lastOnly: true }));
  assertClose(logits.data as Float32Array, expected.prompt_last_logits, { atol: 1e-4, rtol: 0, what: 'last logits' });

  const [fromBos] = generate(model, [[bos]], { maxNewTokens: expected.greedy_from_bos_ids.length, temperature: 0, tokenizer });
  assert.deepEqual(fromBos!.tokens, expected.greedy_from_bos_ids);
  // llama2.c's decoder keeps the leading space that Hugging Face's decoder strips.
  assert.equal(fromBos!.text, expected.greedy_from_bos_text.replace(/^ /, ''));
  const [cont] = generate(model, [prompt], { maxNewTokens: expected.greedy_prompt_continuation_ids.length, temperature: 0 });
  assert.deepEqual(cont!.tokens, expected.greedy_prompt_continuation_ids);
});

test('cached decoding gives the same logits as the full forward', () => {
  for (const arch of ['llama-f32', 'qwen3-bf16', 'qwen2-f32']) {
    const { model, config } = loadModel(join(fixtures, arch));
    const ids = [4, 17, 33, 8, 60, 2, 19];
    const full = noGrad(() => model.forward(Int32Array.from(ids), 1, ids.length)).data as Float32Array;
    const cache = KVCache.forModel(config, 1, 16);
    const V = config.vocabSize;
    // bf16 decode on AVX512_BF16 CPUs meets the weights with x split into two bf16 terms (exact to
    // ~2^-17 relative) in an order that follows each row's address alignment: a few 1e-5 from the
    // prefill GEMM's widened fp32 products, run to run.
    const tol = arch.endsWith('bf16') ? 5e-5 : 1e-5;
    const prefill = noGrad(() => model.forward(Int32Array.from(ids.slice(0, 3)), 1, 3, { cache })).data as Float32Array;
    assertClose(prefill, full.subarray(0, 3 * V), { atol: tol, rtol: tol, what: `${arch} prefill` });
    for (let t = 3; t < ids.length; t++) {
      const step = noGrad(() => model.forward(Int32Array.from([ids[t]!]), 1, 1, { cache })).data as Float32Array;
      assertClose(step, full.subarray(t * V, (t + 1) * V), { atol: tol, rtol: tol, what: `${arch} decode at ${t}` });
    }
  }
});

test('batched generation equals one-by-one generation (greedy and seeded sampling)', () => {
  const { model, tokenizer } = loadModel(stories);
  // Lengths far apart: prefilled one by one; close (padding ≤ a quarter): prefilled together,
  // right-padded, against one by one in the `alone` runs below (their other prompts are [1]).
  for (const prompts of [[[1], [1, 403, 407], [1, 317, 269, 368, 302]], [[1, 403, 407, 300], [1, 317, 269, 368, 302], [1, 50, 60, 70, 80]]])
  for (const options of [{ temperature: 0 }, { temperature: 0.8, topP: 0.9, topK: 40, seed: 3 }]) {
    const batched = generate(model, prompts, { ...options, maxNewTokens: 12, tokenizer });
    prompts.forEach((p, b) => {
      // Sequence b of a batch uses the random stream of index b: compare against the same index.
      const alone = generate(model, prompts.map((q, i) => (i === b ? q : [1])), { ...options, maxNewTokens: 12, tokenizer })[b]!;
      assert.deepEqual(batched[b]!.tokens, alone.tokens, `prompt ${b} with ${JSON.stringify(options)}`);
    });
  }
});

test('sampling is seeded, top-k 1 is greedy, EOS and stop strings end a sequence', () => {
  const { model, tokenizer } = loadModel(stories);
  const a = generate(model, [[1]], { temperature: 1, seed: 5, maxNewTokens: 20 })[0]!;
  const b = generate(model, [[1]], { temperature: 1, seed: 5, maxNewTokens: 20 })[0]!;
  const c = generate(model, [[1]], { temperature: 1, seed: 6, maxNewTokens: 20 })[0]!;
  assert.deepEqual(a.tokens, b.tokens);
  assert.notDeepEqual(a.tokens, c.tokens);
  const greedy = generate(model, [[1]], { temperature: 0, maxNewTokens: 20 })[0]!;
  const topK1 = generate(model, [[1]], { temperature: 1.5, topK: 1, seed: 9, maxNewTokens: 20 })[0]!;
  assert.deepEqual(topK1.tokens, greedy.tokens);
  // Greedy from BOS reads "Once upon a time, there was a little girl named Lily. ..."
  const stopped = generate(model, [[1]], { temperature: 0, maxNewTokens: 40, stop: ['Lily'], tokenizer })[0]!;
  assert.equal(stopped.finishReason, 'stop');
  assert.equal(stopped.text, 'Once upon a time, there was a little girl named ');
  const eos = generate(model, [[1]], { temperature: 0, maxNewTokens: 40, eosTokenIds: [greedy.tokens[3]!] })[0]!;
  assert.equal(eos.finishReason, 'eos');
  assert.deepEqual(eos.tokens, greedy.tokens.slice(0, 3));
});

function brokenCopy(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `seal-broken-${name}-`));
  cpSync(join(fixtures, 'llama-f32'), dir, { recursive: true });
  return dir;
}

test('broken model directories give errors naming the file and tensor or field', () => {
  const unknown = brokenCopy('arch');
  const config = JSON.parse(readFileSync(join(unknown, 'config.json'), 'utf8'));
  writeFileSync(join(unknown, 'config.json'), JSON.stringify({ ...config, architectures: ['FalconForCausalLM'] }));
  assert.throws(() => loadModel(unknown), /config\.json: field 'architectures' names 'FalconForCausalLM'/);

  const malformed = brokenCopy('json');
  writeFileSync(join(malformed, 'config.json'), '{"architectures": [');
  assert.throws(() => loadModel(malformed), /config\.json: malformed JSON/);

  // Rewrite the weights without one tensor, and with one of the wrong shape.
  const path = join(fixtures, 'llama-f32', 'model.safetensors');
  const header = readHeader(path);
  const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
  for (const [name, info] of header.tensors) tensors[name] = { dtype: 'F32', shape: info.shape, data: readTensor(info, path, 'f32') as Float32Array };

  const missing = brokenCopy('missing');
  const { ['model.layers.1.mlp.up_proj.weight']: _, ...without } = tensors;
  writeSafetensors(join(missing, 'model.safetensors'), without);
  assert.throws(() => loadModel(missing), /model\.safetensors: tensor 'model\.layers\.1\.mlp\.up_proj\.weight' is missing/);

  const wrong = brokenCopy('shape');
  writeSafetensors(join(wrong, 'model.safetensors'), {
    ...tensors, 'model.norm.weight': { dtype: 'F32', shape: [31], data: new Float32Array(31) },
  });
  assert.throws(() => loadModel(wrong), /model\.safetensors: tensor 'model\.norm\.weight' has shape \[31\], expected \[32\]/);

  const truncated = brokenCopy('trunc');
  const bytes = readFileSync(path);
  writeFileSync(join(truncated, 'model.safetensors'), bytes.subarray(0, bytes.length - 100));
  assert.throws(() => loadModel(truncated), /model\.safetensors: tensor '[^']+': truncated file/);
});

test('sharded checkpoints load through model.safetensors.index.json', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seal-sharded-'));
  const src = join(fixtures, 'qwen3-bf16');
  copyFileSync(join(src, 'config.json'), join(dir, 'config.json'));
  const path = join(src, 'model.safetensors');
  const header = readHeader(path);
  const names = [...header.tensors.keys()];
  const weightMap: Record<string, string> = {};
  const shards = [names.slice(0, 7), names.slice(7)];
  shards.forEach((group, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    const tensors: Record<string, { dtype: 'BF16'; shape: number[]; data: Uint16Array }> = {};
    for (const name of group) {
      const info = header.tensors.get(name)!;
      tensors[name] = { dtype: 'BF16', shape: info.shape, data: readTensor(info, path, 'bf16') as Uint16Array };
      weightMap[name] = file;
    }
    writeSafetensors(join(dir, file), tensors);
  });
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  const sharded = loadModel(dir);
  const single = loadModel(src);
  const ids = Int32Array.from([3, 14, 15, 92]);
  const a = noGrad(() => sharded.model.forward(ids, 1, 4)).data as Float32Array;
  const b = noGrad(() => single.model.forward(ids, 1, 4)).data as Float32Array;
  assert.equal(maxAbsDiff(a, b), 0);

  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { ...weightMap, 'model.norm.weight': 'model-00009-of-00002.safetensors' } }));
  assert.throws(() => loadModel(dir), /model\.safetensors\.index\.json: weight_map names shard 'model-00009-of-00002\.safetensors' for 'model\.norm\.weight'/);
});
