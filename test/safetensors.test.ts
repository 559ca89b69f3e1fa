// safetensors reading/writing and config.json parsing: round trips, dtype conversion, and a clear
// error (naming the file and the tensor or field) for every kind of bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readHeader, readTensor, writeSafetensors, f32ToBf16Into, f16ToF32 } from '../src/model/safetensors.js';
import { parseConfig } from '../src/model/config.js';
import { inverseFrequencies } from '../src/model/rope.js';

const dir = mkdtempSync(join(tmpdir(), 'seal-st-'));

function rawFile(name: string, header: unknown, dataBytes: number, headerLenOverride?: bigint): string {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(headerLenOverride ?? BigInt(json.length));
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([len, json, Buffer.alloc(dataBytes)]));
  return path;
}

test('write then read returns the same tensors, fp32 and bf16', () => {
  const path = join(dir, 'rt.safetensors');
  const a = Float32Array.from([1.5, -2.25, 3e-3, 0, -0, 65504, 1e-40]);
  const bBits = new Uint16Array(6);
  f32ToBf16Into(Float32Array.from([1, 2, 3, -4, 0.5, 1e20]), bBits);
  writeSafetensors(path, { a: { dtype: 'F32', shape: [7], data: a }, 'x.b': { dtype: 'BF16', shape: [2, 3], data: bBits } }, { format: 'pt' });
  const h = readHeader(path);
  assert.deepEqual(h.metadata, { format: 'pt' });
  assert.deepEqual([...readTensor(h.tensors.get('a')!, path, 'f32')], [...a]);
  assert.deepEqual([...readTensor(h.tensors.get('x.b')!, path, 'bf16')], [...bBits]);
  // bf16 → fp32 widening is exact; fp32 → bf16 rounds to nearest even.
  assert.deepEqual([...readTensor(h.tensors.get('x.b')!, path, 'f32')].slice(0, 5), [1, 2, 3, -4, 0.5]);
  const asBf16 = readTensor(h.tensors.get('a')!, path, 'bf16');
  assert.equal(asBf16[0], 0x3fc0); // 1.5
  assert.equal(asBf16[1], 0xc010); // -2.25
  // The header is padded so the data starts 8-byte aligned.
  const headerLen = Number(readFileSync(path).readBigUInt64LE(0));
  assert.equal((8 + headerLen) % 8, 0);
});

test('fp32 → bf16 rounds to nearest even and keeps NaN a NaN', () => {
  const bits = new Uint16Array(4);
  const src = new Float32Array(4);
  const u = new Uint32Array(src.buffer);
  u[0] = 0x3f808000; // exactly halfway, even below → rounds down
  u[1] = 0x3f818000; // halfway, odd below → rounds up
  u[2] = 0x3f808001; // just above halfway → up
  u[3] = 0x7f800001; // a signalling NaN must not become infinity
  f32ToBf16Into(src, bits);
  assert.deepEqual([...bits.slice(0, 3)], [0x3f80, 0x3f82, 0x3f81]);
  assert.ok(bits[3]! > 0x7f80 && (bits[3]! & 0x7f) !== 0);
});

test('F16 values widen exactly, subnormals and specials included', () => {
  assert.equal(f16ToF32(0x3c00), 1);
  assert.equal(f16ToF32(0xc000), -2);
  assert.equal(f16ToF32(0x7bff), 65504);
  assert.equal(f16ToF32(0x0001), 2 ** -24);
  assert.equal(f16ToF32(0x7c00), Infinity);
  assert.ok(Number.isNaN(f16ToF32(0x7e00)));
  const path = rawFile('f16.safetensors', { h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, 0);
  const buf = readFileSync(path);
  const withData = Buffer.concat([buf, Buffer.from([0x00, 0x3c, 0x00, 0xc0])]);
  writeFileSync(path, withData);
  const h = readHeader(path);
  assert.deepEqual([...readTensor(h.tensors.get('h')!, path, 'f32')], [1, -2]);
  assert.deepEqual([...readTensor(h.tensors.get('h')!, path, 'bf16')], [0x3f80, 0xc000]);
});

test('bad files give errors naming the file and the tensor', () => {
  const short = join(dir, 'short.safetensors');
  writeFileSync(short, Buffer.alloc(3));
  assert.throws(() => readHeader(short), /short\.safetensors: truncated file/);

  const huge = rawFile('huge.safetensors', {}, 0, 10n ** 12n);
  assert.throws(() => readHeader(huge), /huge\.safetensors: header length 1000000000000 exceeds/);

  const past = rawFile('past.safetensors', {}, 0, 500n);
  assert.throws(() => readHeader(past), /past\.safetensors: truncated file: header says 500 bytes/);

  const badJson = join(dir, 'badjson.safetensors');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(5n);
  writeFileSync(badJson, Buffer.concat([len, Buffer.from('{"a":')]));
  assert.throws(() => readHeader(badJson), /badjson\.safetensors: malformed header JSON/);

  const dtype = rawFile('dtype.safetensors', { w: { dtype: 'I8', shape: [4], data_offsets: [0, 4] } }, 4);
  assert.throws(() => readHeader(dtype), /dtype\.safetensors: tensor 'w': unsupported dtype "I8"/);

  const size = rawFile('size.safetensors', { w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, 20);
  assert.throws(() => readHeader(size), /size\.safetensors: tensor 'w': data_offsets \[0, 20\] hold 20 bytes but shape \[2,3\] F32 needs 24/);

  const trunc = rawFile('trunc.safetensors', { w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8);
  assert.throws(() => readHeader(trunc), /trunc\.safetensors: tensor 'w': truncated file: data ends at byte/);

  const shape = rawFile('shape.safetensors', { w: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }, 0);
  assert.throws(() => readHeader(shape), /shape\.safetensors: tensor 'w': malformed shape/);
});

const llamaConfig = {
  architectures: ['LlamaForCausalLM'], hidden_size: 64, intermediate_size: 172, num_hidden_layers: 5,
  num_attention_heads: 8, num_key_value_heads: 4, vocab_size: 512, rms_norm_eps: 1e-5,
};

test('config.json parses the four architectures with their switches', () => {
  const llama = parseConfig(llamaConfig);
  assert.equal(llama.headDim, 8);
  assert.equal(llama.qkvBias, false);
  assert.equal(llama.tieEmbeddings, false);
  const qwen2 = parseConfig({ ...llamaConfig, architectures: ['Qwen2ForCausalLM'], tie_word_embeddings: true });
  assert.equal(qwen2.qkvBias, true);
  assert.equal(qwen2.oBias, false);
  assert.equal(qwen2.slidingWindow, null);
  const qwen3 = parseConfig({ ...llamaConfig, architectures: ['Qwen3ForCausalLM'], head_dim: 16 });
  assert.equal(qwen3.qkNorm, true);
  assert.equal(qwen3.headDim, 16);
  const mistral = parseConfig({ ...llamaConfig, architectures: ['MistralForCausalLM'], sliding_window: 4096, attention_bias: true });
  assert.equal(mistral.slidingWindow, 4096);
  assert.equal(mistral.qkvBias, false);
});

test('bad config.json fields are named', () => {
  assert.throws(() => parseConfig({ ...llamaConfig, architectures: ['GPT2LMHeadModel'] }, 'm/config.json'),
    /m\/config\.json: field 'architectures' names 'GPT2LMHeadModel', which is not supported/);
  const { hidden_size: _, ...noHidden } = llamaConfig;
  assert.throws(() => parseConfig(noHidden, 'm/config.json'), /m\/config\.json: field 'hidden_size' is missing/);
  assert.throws(() => parseConfig({ ...llamaConfig, num_key_value_heads: 3 }), /field 'num_key_value_heads' \(3\) must divide/);
  assert.throws(() => parseConfig({ ...llamaConfig, rope_scaling: { rope_type: 'yarn', factor: 4 } }), /field 'rope_scaling\.rope_type' 'yarn' is not supported/);
  assert.throws(() => parseConfig({ ...llamaConfig, hidden_act: 'gelu' }), /field 'hidden_act' is 'gelu'/);
});

test('llama3 rope scaling matches the Hugging Face formula (values from PyTorch)', () => {
  // inv_freq for head_dim 8, theta 500000, factor 8, low 1, high 4, original 16, from
  // scripts/fixtures/models.py's inv_freq() under torch 1.13.
  const inv = inverseFrequencies({
    headDim: 8, ropeTheta: 500000,
    ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 16 },
  });
  const expected = [0.5760563611984253, 0.004700753837823868, 0.00017677668074611574, 6.647869668086059e-06];
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(inv[i]! - expected[i]!) <= 1e-7 * expected[i]!, `inv_freq[${i}] = ${inv[i]}, expected ${expected[i]}`);
});
