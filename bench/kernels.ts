// `npm run bench -- kernels [--json] [--rounds=N] [--gemv-rounds=N] [--only=gemm|gemv] [--peer-coretype=NAME]`
//
// GEMM: our native gemm against the system OpenBLAS (bench/peer.c, compiled here into bench/.peer/)
// on the training shapes, forward (transB) and both backward variants, 1 and 2 threads. GEMV: fp32
// and bf16 weights, cycled over >= 512 MB of matrices so nothing stays in L3, beside a DRAM
// read-bandwidth loop at the same thread count (one peer process kept running, a pass per sample).
// The machine is shared and noisy, so each row interleaves ours and the peer for several rounds
// and keeps the best of each (GEMM); GEMV interleaves 40 single passes of each and reports the
// medians (bandwidth drifts too much for a best-of to pair up); read the ratios.
//
// The peer runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment (a
// forced core type slows OpenBLAS down) and OPENBLAS_NUM_THREADS set to the row's thread count.
// When our kernels run the AVX2 path on an AVX-512 machine (SEAL_ISA=avx2), the peer is given
// OPENBLAS_CORETYPE=Haswell so both sides use AVX2; --peer-coretype=NAME overrides either choice.
import { spawnSync } from 'node:child_process';
import { buildPeer, likeForLikeCoretype, peerEnv, runPeer, startDramServer } from './peer.js';
import { kernelStatus, nativeKernels, nativeReadSum } from '../src/kernels/index.js';
import type { Kernels, Weights } from '../src/kernels/index.js';


interface GemmRow {
  m: number; n: number; k: number; transA: boolean; transB: boolean; threads: number;
  gflops: number; openblasGflops: number | null;
}
interface GemvRow {
  rows: number; cols: number; dtype: 'f32' | 'bf16'; threads: number;
  gbPerSecond: number; dramGbPerSecond: number | null;
}

/** Uniform values in [-0.5, 0.5): fast to make, no denormals. */
function fill(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  const block = Math.min(n, 1 << 16);
  for (let i = 0; i < block; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s >>> 8) / 16777216 - 0.5;
  }
  for (let i = block; i < n; i += block) out.copyWithin(i, 0, Math.min(block, n - i));
  return out;
}

function toBf16Fast(x: Float32Array): Uint16Array {
  // Truncation is fine for a bandwidth benchmark.
  const u = new Uint16Array(x.buffer, x.byteOffset, x.length * 2);
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = u[2 * i + 1]!;
  return out;
}

/** Seconds one call of fn takes. */
function timed(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

/** Best rate over `reps` timed runs of fn, each repeated until at least minMs has passed. */
function bestRate(fn: () => void, work: number, reps: number, minMs = 20): number {
  fn();
  let best = 0;
  for (let r = 0; r < reps; r++) {
    let calls = 0;
    const t0 = performance.now();
    let dt = 0;
    do {
      fn();
      calls++;
      dt = performance.now() - t0;
    } while (dt < minMs);
    best = Math.max(best, (work * calls) / (dt / 1000));
  }
  return best;
}

const fmt = (v: number | null, digits = 1): string => (v === null ? '—' : v.toFixed(digits));
const ratio = (a: number, b: number | null): string => (b ? (a / b).toFixed(3) : '—');

function parseArgs(args: string[]): { json: boolean; rounds: number; gemvRounds: number; only: string | null; coretype: string | null | undefined } {
  let json = false;
  let rounds = 3;
  let gemvRounds = 40;
  let only: string | null = null;
  let coretype: string | null | undefined;
  for (const a of args) {
    if (a === '--json') json = true;
    else if (a.startsWith('--rounds=')) rounds = Math.max(1, Number(a.slice(9)) | 0);
    else if (a.startsWith('--gemv-rounds=')) gemvRounds = Math.max(1, Number(a.slice(14)) | 0);
    else if (a.startsWith('--only=')) only = a.slice(7);
    else if (a.startsWith('--peer-coretype=')) coretype = a.slice(16) || null;
    else throw new Error(`bench kernels: unknown option ${a}`);
  }
  return { json, rounds, gemvRounds, only, coretype };
}

export async function main(args: string[]): Promise<void> {
  const opts = parseArgs(args);
  if (!nativeKernels) {
    throw new Error(`bench kernels needs the native addon (${kernelStatus().reason ?? 'not loaded'})`);
  }
  const k: Kernels = nativeKernels;
  const status = kernelStatus();
  const isa = status.native?.isa ?? 'scalar';
  const features = status.native?.features ?? {};
  const coretype = opts.coretype !== undefined ? opts.coretype : likeForLikeCoretype(isa, features);
  const peer = buildPeer();
  const corename = peer.openblas ? (spawnSync(peer.path!, ['info'], { env: peerEnv(1, coretype), encoding: 'utf8' }).stdout.trim().replace(/^corename /, '')) : null;
  const threadsBefore = k.threads();

  console.log(`seal kernels: native-${isa}${status.native?.isaNote ? ` (${status.native.isaNote})` : ''}, ` +
    `OpenBLAS core ${corename ?? 'missing'}${coretype ? ` (OPENBLAS_CORETYPE=${coretype})` : ' (OPENBLAS_CORETYPE unset)'}` +
    `${peer.note ? `; ${peer.note}` : ''}; best of ${opts.rounds} interleaved rounds`);

  const gemmRows: GemmRow[] = [];
  const gemvRows: GemvRow[] = [];
  try {
    if (opts.only === null || opts.only === 'gemm') {
      const shapes: Array<[number, number, number]> = [[256, 4864, 896], [512, 896, 896], [1024, 1024, 1024]];
      const transposes: Array<[boolean, boolean, string]> = [
        [false, true, 'forward  y=x·Wᵀ'], [false, false, 'backward dx=dy·W'], [true, false, 'backward dW=dyᵀ·x'],
      ];
      console.log('\nGEMM (fp32)                               threads   ours GFLOP/s  OpenBLAS GFLOP/s   ratio');
      for (const [m, n, kk] of shapes) {
        const a = fill(m * kk, 1);
        const b = fill(kk * n, 2);
        const c = new Float32Array(m * n);
        for (const [transA, transB, what] of transposes) {
          for (const threads of [2, 1]) {
            k.setThreads(threads);
            let ours = 0;
            let blas: number | null = null;
            for (let r = 0; r < opts.rounds; r++) {
              ours = Math.max(ours, bestRate(() => k.gemm(transA, transB, m, n, kk, 1, a, b, 0, c), 2 * m * n * kk, 3) / 1e9);
              if (peer.openblas) {
                const p = runPeer(peer, ['gemm', transA ? '1' : '0', transB ? '1' : '0', String(m), String(n), String(kk), '3'], threads, coretype, 'gflops');
                if (p !== null) blas = Math.max(blas ?? 0, p);
              }
            }
            gemmRows.push({ m, n, k: kk, transA, transB, threads, gflops: round(ours), openblasGflops: blas === null ? null : round(blas) });
            console.log(`${`${m}×${n}×${kk}`.padEnd(16)} ${what.padEnd(20)} ${String(threads).padStart(7)} ` +
              `${fmt(ours).padStart(14)} ${fmt(blas).padStart(17)} ${ratio(ours, blas).padStart(7)}`);
          }
        }
      }
    }
    if (opts.only === null || opts.only === 'gemv') {
      const shapes: Array<[number, number]> = [[4864, 896], [896, 4864], [151936, 896]];
      const totalBytes = 512 * 2 ** 20;
      const dtypes = ['f32', 'bf16'] as const;
      console.log('\nGEMV (weights cycled over >= 512 MB)      threads   ours GB/s   DRAM read GB/s   ratio   rows/s vs f32   own-buffer GB/s');
      console.log(`(medians of ${opts.gemvRounds} interleaved rounds; DRAM read: a plain read loop over the same matrices; own-buffer: the peer process reading one 512 MB buffer of its own, best, for context)`);
      for (const [rows, cols] of shapes) {
        // Both dtypes and the DRAM loop are timed in the same rounds, round-robin, so that a
        // noisy neighbour slows all three alike and the bf16/f32 and ours/DRAM ratios stay fair.
        const base = fill(rows * cols, 3);
        const x = fill(cols, 4);
        const y = new Float32Array(rows);
        const passes = dtypes.map((dtype) => {
          const bytes = rows * cols * (dtype === 'f32' ? 4 : 2);
          const count = Math.max(1, Math.ceil(totalBytes / bytes));
          const mats: Weights[] = [];
          for (let i = 0; i < count; i++) mats.push(dtype === 'f32' ? (i === 0 ? base : base.slice()) : toBf16Fast(base));
          let at = 0;
          // One "pass" = every matrix once, so every weight comes from DRAM; the read loop walks
          // the same matrices in the same order.
          const pass = () => {
            for (let i = 0; i < count; i++) k.gemv(rows, cols, mats[(at + i) % count]!, x, 0, y);
            at++;
          };
          const read = () => {
            for (let i = 0; i < count; i++) nativeReadSum(mats[(at + i) % count]!);
            at++;
          };
          return { dtype, bytes: bytes * count, pass, read };
        });
        for (const threads of [2, 1]) {
          k.setThreads(threads);
          // Single passes (~10 ms each), round-robin: our GEMV, then the read loop over the same
          // bytes, per dtype, then the separate process's own buffer. DRAM bandwidth here drifts by
          // up to 2x within a minute, so each figure is the median over the rounds: the four rates of
          // one round are timed within ~40 ms of each other, and medians over the same rounds compare
          // like with like (a best-of picks each column's luckiest moment, rarely the same one).
          const ours = dtypes.map((): number[] => []);
          const sameBytes = dtypes.map((): number[] => []);
          let ownBuffer: number | null = null;
          const server = await startDramServer(peer, 512, threads, coretype);
          try {
            passes.forEach((p) => { p.pass(); p.read(); });  // warm-up
            for (let r = 0; r < opts.gemvRounds; r++) {
              passes.forEach((p, i) => {
                ours[i]!.push(p.bytes / timed(p.pass) / 1e9);
                sameBytes[i]!.push(p.bytes / timed(p.read) / 1e9);
              });
              if (server) ownBuffer = Math.max(ownBuffer ?? 0, await server.pass());
            }
          } finally {
            server?.close();
          }
          const ourRate = ours.map(median);
          const readRate = sameBytes.map(median);
          const rowsPerSec = passes.map((p, i) => ourRate[i]! / (cols * (p.dtype === 'f32' ? 4 : 2)));
          passes.forEach((p, i) => {
            gemvRows.push({ rows, cols, dtype: p.dtype, threads, gbPerSecond: round(ourRate[i]!), dramGbPerSecond: round(readRate[i]!) });
            const vsF32 = p.dtype === 'bf16' ? `${(rowsPerSec[i]! / rowsPerSec[0]!).toFixed(2)}×` : '';
            console.log(`${`${rows}×${cols}`.padEnd(13)} ${p.dtype.padEnd(4)} ×${String(p.bytes / (rows * cols * (p.dtype === 'f32' ? 4 : 2))).padEnd(4)}${''.padEnd(18)} ${String(threads).padStart(7)} ` +
              `${fmt(ourRate[i]!).padStart(11)} ${fmt(readRate[i]!).padStart(16)} ${ratio(ourRate[i]!, readRate[i]!).padStart(7)} ${vsF32.padStart(15)} ${fmt(ownBuffer).padStart(12)}`);
          });
        }
      }
    }
  } finally {
    k.setThreads(threadsBefore);
  }
  if (opts.json) console.log(JSON.stringify({ gemm: gemmRows, gemv: gemvRows }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
