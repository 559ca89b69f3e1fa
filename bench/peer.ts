// The peers every bench figure is divided by: bench/peer.c (the system OpenBLAS's sgemm and a
// plain multithreaded DRAM read loop), compiled here into bench/.peer/, and PyTorch when Debian's
// python3-torch is installed. The sandbox forces OPENBLAS_CORETYPE, which slows OpenBLAS: it is
// removed from the peers' environment only.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));
const peerSource = join(root, 'bench', 'peer.c');
const peerDir = join(root, 'bench', '.peer');

export interface Peer {
  path: string | null;
  openblas: boolean;
  note: string;
}

/** Compiles bench/peer.c (with OpenBLAS if it links, else the DRAM loop alone). */
export function buildPeer(): Peer {
  mkdirSync(peerDir, { recursive: true });
  const attempts: Array<{ out: string; args: string[]; openblas: boolean }> = [
    { out: join(peerDir, 'peer'), args: ['-O2', '-DSEAL_PEER_OPENBLAS', peerSource, '-lopenblas', '-lpthread'], openblas: true },
    { out: join(peerDir, 'peer-noblas'), args: ['-O2', peerSource, '-lpthread'], openblas: false },
  ];
  const errors: string[] = [];
  for (const { out, args, openblas } of attempts) {
    if (existsSync(out) && statSync(out).mtimeMs >= statSync(peerSource).mtimeMs) {
      return { path: out, openblas, note: '' };
    }
    const cc = process.env.CC || 'cc';
    const r = spawnSync(cc, [...args, '-o', out], { encoding: 'utf8' });
    if (r.status === 0) {
      return { path: out, openblas, note: openblas ? '' : `OpenBLAS peer missing (${errors[0] ?? 'did not link'})` };
    }
    errors.push((r.error?.message ?? r.stderr ?? '').trim().split('\n').slice(-1)[0] || `${cc} failed`);
  }
  return { path: null, openblas: false, note: `peer could not be built: ${errors.join('; ')}` };
}

/** The environment of a peer process: forced OpenBLAS core types removed, thread count set. */
export function peerEnv(threads: number, coretype: string | null = null): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  if (coretype) env.OPENBLAS_CORETYPE = coretype;
  env.OPENBLAS_NUM_THREADS = String(threads);
  env.OMP_NUM_THREADS = String(threads);
  return env;
}

/** Runs the peer; returns the number after `key` on its output line, or null on failure. */
export function runPeer(peer: Peer, args: string[], threads: number, coretype: string | null, key: string): number | null {
  if (!peer.path) return null;
  const r = spawnSync(peer.path, args, { env: peerEnv(threads, coretype), encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) {
    process.stderr.write(`bench: peer ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}\n`);
    return null;
  }
  const m = new RegExp(`${key} ([0-9.eE+-]+)`).exec(r.stdout);
  return m ? Number(m[1]) : null;
}

/** DRAM read bandwidth in GB/s at `threads` threads (best of a few passes over 1 GiB). */
export function dramGbPerSecond(peer: Peer, threads: number): number | null {
  return runPeer(peer, ['dram', '1024', String(threads), '4'], threads, null, 'gbps');
}

/**
 * A process driven one line at a time: it prints `ready` once set up, then answers each request
 * line with one line. Lets two peers take turns step by step, so a slow spell of the shared
 * machine falls on both sides of a ratio rather than on one.
 */
export interface LineServer {
  ask(request: string): Promise<string>;
  close(): void;
}

export async function startLineServer(command: string, args: string[], env: NodeJS.ProcessEnv, what: string): Promise<LineServer> {
  const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const r = await lines.next();
    if (r.done) throw new Error(`bench: ${what} exited early`);
    return r.value;
  };
  if ((await next()) !== 'ready') throw new Error(`bench: ${what} did not start`);
  return {
    async ask(request) {
      child.stdin!.write(request + '\n');
      return next();
    },
    close() {
      child.stdin!.end();
      child.kill();
    },
  };
}

/** A DRAM read loop kept running in its own process: `pass()` times one pass over its buffer. */
export interface DramServer {
  pass(): Promise<number>;
  close(): void;
}

/** Starts `peer dram-serve` (buffer allocated and touched once); null when the peer is missing. */
export async function startDramServer(peer: Peer, mib: number, threads: number, coretype: string | null = null): Promise<DramServer | null> {
  if (!peer.path) return null;
  const server = await startLineServer(peer.path, ['dram-serve', String(mib), String(threads)], peerEnv(threads, coretype), 'peer dram-serve');
  return {
    async pass() {
      const m = /gbps ([0-9.eE+-]+)/.exec(await server.ask(''));
      if (!m) throw new Error('bench: peer dram-serve gave no figure');
      return Number(m[1]);
    },
    close: () => server.close(),
  };
}

/** OpenBLAS sgemm GFLOP/s on one shape (the machine-speed yardstick the issues scale targets by). */
export function openblasGflops(peer: Peer, m: number, n: number, k: number, threads: number, coretype: string | null = null): number | null {
  if (!peer.openblas) return null;
  return runPeer(peer, ['gemm', '0', '1', String(m), String(n), String(k), '3'], threads, coretype, 'gflops');
}

/**
 * The OpenBLAS core type that compares like with like: on a forced AVX2 run of an AVX-512 CPU
 * (SEAL_ISA=avx2, a stand-in for an AVX2-only machine) the peers are held to AVX2 too (Haswell);
 * otherwise none (OpenBLAS picks the CPU's best).
 */
export function likeForLikeCoretype(isa: string, features: Record<string, boolean>): string | null {
  return isa === 'avx2' && features.avx512f ? 'Haswell' : null;
}

/** The python that has torch, or null when torch is not installed. */
export function torchPython(): string | null {
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  return spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0 ? python : null;
}

/** Runs a PyTorch peer script; its last stdout line is JSON. null when torch is not installed. */
export function runTorch(script: string, args: string[], threads: number, timeoutMs = 1_800_000): Record<string, number> | null {
  const python = torchPython();
  if (!python) return null;
  const r = spawnSync(python, [join(root, 'bench', script), ...args], { env: peerEnv(threads), encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) {
    process.stderr.write(`bench: ${script} failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' | ')}\n`);
    return null;
  }
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!);
}
