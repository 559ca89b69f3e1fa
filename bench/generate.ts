// `npm run bench -- generate [--json]`: prefill and decode speed on a random-init Qwen2.5-0.5B
// shape, fp32 and bf16 weights, beside the memory bound (DRAM read bandwidth ÷ weight bytes read
// per token, measured in the same run) and PyTorch's eager forward; plus batched sampling of 5
// sequences against one.
import { loadModel } from '../src/model/load.js';
import { KVCache } from '../src/model/kv-cache.js';
import { generate } from '../src/generate/generate.js';
import { noGrad } from '../src/tensor/autograd.js';
import { kernels, kernelStatus } from '../src/kernels/index.js';
import type { Transformer } from '../src/model/transformer.js';
import { buildPeer, dramGbPerSecond, runTorch } from './peer.js';
import { benchModel, QWEN25_05B } from './models.js';

interface Row {
  dtype: 'f32' | 'bf16';
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  weightBytesPerToken: number;
  boundTokensPerSecond: number | null;
  torchDecodeTokensPerSecond: number | null;
}

const PREFILL = 128;
const DECODE = 32;
const BATCH = 5;

/** Bytes of weights one decode step reads: every matrix once (the embedding only as the tied head). */
function weightBytesPerToken(model: Transformer): number {
  let bytes = 0;
  for (const [name, p] of model.params) {
    if (name === 'model.embed_tokens.weight' && !model.config.tieEmbeddings) continue;
    bytes += p.data.byteLength;
  }
  return bytes;
}

function prefillRate(model: Transformer): number {
  const ids = Int32Array.from({ length: PREFILL }, (_, i) => (i * 7919) % model.config.vocabSize);
  let best = 0;
  for (let r = 0; r < 3; r++) {
    const cache = KVCache.forModel(model.config, 1, PREFILL + 1);
    const t0 = performance.now();
    noGrad(() => model.forward(ids, 1, PREFILL, { cache, lastOnly: true }));
    best = Math.max(best, PREFILL / ((performance.now() - t0) / 1000));
  }
  return best;
}

/** Decode tokens/s over all sequences, prefill excluded (timed from the first new token). */
function decodeOnce(model: Transformer, batch: number, temperature: number, seed: number): number {
  // Sampling uses Hugging Face's generate defaults (top-k 50) with SEAL's top-p 0.95.
  const prompts = Array.from({ length: batch }, (_, b) => [100 + b, 200 + b, 300 + b, 400 + b]);
  let first = 0;
  let count = 0;
  generate(model, prompts, {
    maxNewTokens: DECODE, temperature, topP: 0.95, topK: 50, seed,
    onToken: () => {
      if (count++ === batch - 1) first = performance.now();
    },
  });
  return (count - batch) / ((performance.now() - first) / 1000);
}

/**
 * Best decode tokens/s of each setting, the settings timed round-robin (ratios between them are
 * then not skewed by a neighbour that slowed the machine during one of them).
 */
function decodeRates(model: Transformer, settings: Array<{ batch: number; temperature: number }>, rounds = 3): number[] {
  const best = settings.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    settings.forEach((s, i) => { best[i] = Math.max(best[i]!, decodeOnce(model, s.batch, s.temperature, r)); });
  }
  return best;
}

export async function main(args: string[]): Promise<void> {
  const json = args.includes('--json');
  const threads = kernels.threads();
  const peer = buildPeer();
  // The DRAM loop is timed around each model's decode (best of all), as decode is a best-of too.
  let dram = dramGbPerSecond(peer, threads);
  const moreDram = (): void => {
    const d = dramGbPerSecond(peer, threads);
    if (d !== null) dram = Math.max(dram ?? 0, d);
  };
  const rows: Row[] = [];
  let batchRatio = 0;
  let greedyBatchRatio = 0;
  for (const dtype of ['f32', 'bf16'] as const) {
    const dir = benchModel('qwen2.5-0.5b', QWEN25_05B, dtype === 'f32' ? 'F32' : 'BF16');
    const { model } = loadModel(dir);
    const bytes = weightBytesPerToken(model);
    const prefill = prefillRate(model);
    let decode: number;
    if (dtype === 'bf16') {
      const [greedy, sampled, batchGreedy, batchSampled] = decodeRates(model, [
        { batch: 1, temperature: 0 }, { batch: 1, temperature: 1 }, { batch: BATCH, temperature: 0 }, { batch: BATCH, temperature: 1 },
      ]);
      decode = greedy!;
      batchRatio = batchSampled! / sampled!;
      greedyBatchRatio = batchGreedy! / greedy!;
    } else {
      decode = decodeRates(model, [{ batch: 1, temperature: 0 }])[0]!;
    }
    moreDram();
    const torch = runTorch('torch_generate.py', ['--dtype', dtype, '--prefill', String(PREFILL), '--decode', '16', '--threads', String(threads)], threads);
    rows.push({
      dtype, prefillTokensPerSecond: prefill, decodeTokensPerSecond: decode, weightBytesPerToken: bytes,
      boundTokensPerSecond: null,
      torchDecodeTokensPerSecond: torch ? torch.decodeTokensPerSecond! : null,
    });
  }
  for (const r of rows) r.boundTokensPerSecond = dram ? (dram * 1e9) / r.weightBytesPerToken : null;
  console.log(`kernels ${kernelStatus().path}, ${threads} threads; DRAM read ${dram?.toFixed(1) ?? '—'} GB/s; shape Qwen2.5-0.5B (random init)`);
  console.log('dtype  prefill tok/s  decode tok/s  weight MB/token  bound tok/s  decode/bound  torch decode tok/s  ours/torch');
  for (const r of rows) {
    console.log([
      r.dtype.padEnd(5), r.prefillTokensPerSecond.toFixed(1).padStart(13), r.decodeTokensPerSecond.toFixed(2).padStart(13),
      (r.weightBytesPerToken / 1e6).toFixed(0).padStart(16), (r.boundTokensPerSecond?.toFixed(2) ?? '—').padStart(12),
      (r.boundTokensPerSecond ? (r.decodeTokensPerSecond / r.boundTokensPerSecond).toFixed(3) : '—').padStart(13),
      (r.torchDecodeTokensPerSecond?.toFixed(2) ?? '—').padStart(19),
      (r.torchDecodeTokensPerSecond ? (r.decodeTokensPerSecond / r.torchDecodeTokensPerSecond).toFixed(2) : '—').padStart(11),
    ].join(' '));
  }
  console.log(`batched decoding (bf16): ${BATCH} sequences give ${batchRatio.toFixed(2)}x the tokens/s of one when sampling (T 1, top-k 50, top-p 0.95), ${greedyBatchRatio.toFixed(2)}x when greedy`);
  if (json) console.log(JSON.stringify(rows));
}
