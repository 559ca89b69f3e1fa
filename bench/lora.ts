// `npm run bench -- lora [--json]`: LoRA SFT speed and peak memory on a random-init Qwen2.5-0.5B
// shape (r 32, alpha 64, all seven projections, sequence 256, batch 1, fp32 base) beside the same
// step in PyTorch, and the time of one SEAL knowledge inner loop on that shape (a 300-token
// self-edit, 10 epochs at lr 1e-3, then greedy answers of <= 32 tokens to 5 questions; best of two). The inner
// loop's limit (60 s where OpenBLAS does ~200 GFLOP/s on 2 threads) is scaled by the OpenBLAS
// figure measured in the same run. Each side runs in its own process so its peak RSS is its own,
// and the two take turns step by step (ROUNDS rounds, medians kept): the machines are shared, and
// a slow spell then falls on both sides of the ratio instead of on one. On a forced AVX2 run of an
// AVX-512 CPU (SEAL_ISA=avx2) PyTorch is held to AVX2 as well (ATen's AVX2 kernels, a Haswell
// OpenBLAS), and so is the OpenBLAS figure the limit is scaled by.
import { join } from 'node:path';
import { readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildPeer, likeForLikeCoretype, openblasGflops, peerEnv, root, startLineServer, torchPython, type LineServer } from './peer.js';
import { benchModel, QWEN25_05B } from './models.js';

const self = fileURLToPath(import.meta.url);
const SEQ = 256;
const ROUNDS = 5;

export async function main(args: string[]): Promise<void> {
  if (args[0] === '--child') return child(args[1]!, Number(args[2]), args[3] || null);
  const json = args.includes('--json');
  const dir = benchModel('qwen2.5-0.5b', QWEN25_05B, 'F32');
  const { kernelStatus } = await import('../src/kernels/index.js');
  const status = kernelStatus();
  const isa = status.native?.isa ?? 'scalar';
  const coretype = likeForLikeCoretype(isa, status.native?.features ?? {});
  const ours = await startLineServer(process.execPath, [self, '--child', dir, String(ROUNDS), coretype ?? ''], process.env, 'bench lora: the measuring process');
  const threads = (JSON.parse(await ours.ask('threads')) as { threads: number }).threads;
  const python = torchPython();
  let torch: LineServer | null = null;
  if (python) {
    torch = await startLineServer(python, [join(root, 'bench', 'torch_lora.py'), '--serve', '--seq', String(SEQ), '--threads', String(threads)],
      { ...peerEnv(threads, coretype), ...(coretype ? { ATEN_CPU_CAPABILITY: 'avx2' } : {}) }, 'bench/torch_lora.py');
  }
  const oursSeconds: number[] = [];
  const torchSeconds: number[] = [];
  let torchPeakRss: number | null = null;
  for (let r = 0; r < ROUNDS; r++) {
    oursSeconds.push((JSON.parse(await ours.ask('step')) as { seconds: number }).seconds);
    if (torch) {
      const t = JSON.parse(await torch.ask('step')) as { seconds: number; peakRssBytes: number };
      torchSeconds.push(t.seconds);
      torchPeakRss = t.peakRssBytes;
    }
  }
  torch?.close();
  const inner = JSON.parse(await ours.ask('inner')) as {
    peakRssBytes: number; innerLoopSeconds: number; innerLoopRuns: number[]; blasRuns: Array<number | null>;
  };
  ours.close();
  const tokensPerSecond = SEQ / median(oursSeconds);
  const torchTokensPerSecond = torch ? SEQ / median(torchSeconds) : null;
  const roundRatios = torchSeconds.map((t, i) => t / oursSeconds[i]!);
  const blasRuns = inner.blasRuns.filter((g): g is number => g !== null);
  const blas = blasRuns.length ? Math.max(...blasRuns) : null;
  const limit = blas ? (60 * 200) / blas : null;
  console.log(`LoRA SFT, Qwen2.5-0.5B shape (random init, fp32 base), r 32, alpha 64, 7 targets, seq ${SEQ}, batch 1, ${threads} threads`);
  console.log(`kernels ${status.path}${coretype ? `; peers held to AVX2 as well (ATEN_CPU_CAPABILITY=avx2, OPENBLAS_CORETYPE=${coretype})` : ''}`);
  console.log(`(medians of ${ROUNDS} steps, ours and PyTorch's taking turns)`);
  console.log(`                 tokens/s   peak RSS MB`);
  console.log(`SEAL.ts       ${tokensPerSecond.toFixed(1).padStart(10)}   ${(inner.peakRssBytes / 1e6).toFixed(0).padStart(11)}`);
  console.log(`PyTorch       ${(torchTokensPerSecond?.toFixed(1) ?? '—').padStart(10)}   ${(torchPeakRss ? (torchPeakRss / 1e6).toFixed(0) : '—').padStart(11)}`);
  if (torchTokensPerSecond && torchPeakRss) {
    console.log(`ratio (ours / torch): tokens/s ${(tokensPerSecond / torchTokensPerSecond).toFixed(2)}x (per round ${roundRatios.map((x) => x.toFixed(2)).join(', ')}), peak RSS ${(inner.peakRssBytes / torchPeakRss).toFixed(2)}x`);
  }
  console.log(`inner loop (300-token self-edit, 10 epochs, 5 answers): ${inner.innerLoopSeconds.toFixed(1)} s (best of ${inner.innerLoopRuns.map((t) => t.toFixed(1)).join(', ')}); OpenBLAS ${blas?.toFixed(0) ?? '—'} GFLOP/s (best of ${blasRuns.map((g) => g.toFixed(0)).join(', ')}, each timed just before an inner loop) → limit ${limit?.toFixed(1) ?? '—'} s`);
  if (json) {
    console.log(JSON.stringify({
      tokensPerSecond, torchTokensPerSecond, peakRssBytes: inner.peakRssBytes, torchPeakRssBytes: torchPeakRss, innerLoopSeconds: inner.innerLoopSeconds,
    }));
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function child(dir: string, rounds: number, coretype: string | null): Promise<void> {
  const { loadModel } = await import('../src/model/load.js');
  const { LoraAdapter, LORA_TARGETS } = await import('../src/lora/lora.js');
  const { train } = await import('../src/train/trainer.js');
  const { generate } = await import('../src/generate/generate.js');
  const { kernels } = await import('../src/kernels/index.js');
  const loaded = loadModel(dir);
  const { model } = loaded;
  const V = model.config.vocabSize;
  const lora = { rank: 32, alpha: 64, dropout: 0, targets: [...LORA_TARGETS] };
  const ids = Array.from({ length: SEQ }, (_, i) => (i * 7919 + 13) % V);
  const example = { ids, learn: ids.map(() => true) };
  // Throughput: steps of one 256-token sequence, the first a warm-up.
  const adapter = LoraAdapter.create(model, lora, 1);
  adapter.attach(model);
  train(model, adapter.parameters(), [example], { lr: 1e-4, steps: 1, shuffle: false }); // warm-up

  // One knowledge inner loop: 300 tokens in 6 lines of 50, 10 epochs, then 5 answers. Timed
  // twice (a fresh adapter each time, the same work), each time right after the OpenBLAS figure
  // its limit is scaled by, and the best of each kept: the machines are shared and drift.
  const innerLoop = (): number => {
    const t0 = performance.now();
    const inner = LoraAdapter.create(model, { ...lora, targets: ['q_proj', 'v_proj'] }, 2);
    inner.attach(model);
    const lines = Array.from({ length: 6 }, (_, l) => {
      const line = Array.from({ length: 50 }, (_, i) => (l * 1009 + i * 31 + 7) % V);
      return { ids: line, learn: line.map(() => true) };
    });
    train(model, inner.parameters(), lines, { lr: 1e-3, epochs: 10, batchSize: 1, schedule: 'linear', seed: 3 });
    const questions = Array.from({ length: 5 }, (_, q) => Array.from({ length: 24 }, (_, i) => (q * 131 + i * 17 + 5) % V));
    generate(model, questions, { temperature: 0, maxNewTokens: 32 });
    LoraAdapter.detach(model);
    return (performance.now() - t0) / 1000;
  };
  const innerLoops = (): string => {
    LoraAdapter.detach(model);
    const peer = buildPeer();
    const blasRuns: Array<number | null> = [];
    const innerLoopRuns: number[] = [];
    for (let r = 0; r < 2; r++) {
      blasRuns.push(openblasGflops(peer, 1024, 1024, 1024, kernels.threads(), coretype));
      innerLoopRuns.push(innerLoop());
    }
    return JSON.stringify({ peakRssBytes: process.resourceUsage().maxRSS * 1024, innerLoopSeconds: Math.min(...innerLoopRuns), innerLoopRuns, blasRuns });
  };
  // Requests: `threads`; `step` (the first starts one training run of `rounds` optimizer steps on
  // the 256-token sequence, each step timed and then held until the next `step`, so the optimizer
  // and its state persist across steps as in any real run); `inner`.
  console.log('ready');
  for (let request; (request = readLineSync()) !== null;) {
    if (request === 'threads') console.log(JSON.stringify({ threads: kernels.threads() }));
    else if (request === 'step') {
      let resumed = performance.now();
      train(model, adapter.parameters(), [example], {
        lr: 1e-4, steps: rounds, shuffle: false,
        onStep: (report) => {
          console.log(JSON.stringify({ seconds: (performance.now() - resumed) / 1000 }));
          if (report.step === rounds) return;
          const next = readLineSync();
          if (next !== 'step') throw new Error(`bench lora: expected the next step, got ${JSON.stringify(next)}`);
          resumed = performance.now();
        },
      });
    } else if (request === 'inner') console.log(innerLoops());
    else throw new Error(`bench lora: unknown request ${JSON.stringify(request)}`);
  }
}

/** One line of stdin, read synchronously (so a request can be awaited inside a training step); null at EOF. */
function readLineSync(): string | null {
  const bytes: number[] = [];
  const one = Buffer.alloc(1);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, one, 0, 1, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      continue;
    }
    if (n === 0) return bytes.length ? Buffer.from(bytes).toString('utf8') : null;
    if (one[0] === 10) return Buffer.from(bytes).toString('utf8');
    bytes.push(one[0]!);
  }
}

if (process.argv[1] === self) await main(process.argv.slice(2));
