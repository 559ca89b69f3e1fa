// Inner loops side by side: a pool of child processes, each holding its own copy of the base model
// and running whole inner loops on one thread. A ~1M-parameter model's matrices are too small for
// a second thread to speed up one training step, but two inner loops at once use both cores. Each
// worker rebuilds the task from a recipe (module, export, JSON options), so this file knows no domain.
// Worth it only where the model fits in memory once per worker (the tiny demo models).
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { InnerResult } from './inner.js';
import type { InnerTrainSettings } from './task.js';

/** How a worker rebuilds the task: `(await import(module))[name](options, base)` returns a SealTask. */
export interface TaskRecipe {
  module: string;
  name: string;
  options: unknown;
}

export interface InnerJob {
  context: unknown;
  selfEdit: string;
  settings: InnerTrainSettings;
  seed: number;
}

type Reply = { id: number; result?: InnerResult; error?: string };

const WORKER = fileURLToPath(new URL('./pool-worker.js', import.meta.url));

/**
 * The pool a recipe's `workers` field asks for (0 = one worker per core), or none when that is one
 * worker: then inner loops run in this process.
 */
export function poolForWorkers(workers: number, modelDir: string, recipe: TaskRecipe): InnerLoopPool | undefined {
  const size = workers === 0 ? availableParallelism() : workers;
  return size > 1 ? new InnerLoopPool(size, modelDir, recipe) : undefined;
}

export class InnerLoopPool {
  private readonly idle: ChildProcess[] = [];
  private readonly queue: { job: InnerJob; resolve: (r: InnerResult) => void; reject: (e: Error) => void }[] = [];
  private readonly pending = new Map<number, { worker: ChildProcess; resolve: (r: InnerResult) => void; reject: (e: Error) => void }>();
  private readonly workers: ChildProcess[] = [];
  private nextId = 0;
  private closed = false;

  constructor(readonly size: number, modelDir: string, recipe: TaskRecipe) {
    if (!(Number.isInteger(size) && size >= 1)) throw new Error(`inner-loop pool: size must be an integer >= 1, got ${size}`);
    for (let i = 0; i < size; i++) {
      const worker = fork(WORKER, [], { env: { ...process.env, SEAL_THREADS: '1' }, serialization: 'advanced' });
      worker.send({ init: { modelDir, recipe } });
      worker.on('message', (reply: Reply) => this.onReply(worker, reply));
      worker.on('exit', (code, signal) => this.onExit(worker, code, signal));
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  /** Runs one inner loop on the next free worker. */
  run(job: InnerJob): Promise<InnerResult> {
    if (this.closed) return Promise.reject(new Error('inner-loop pool: closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.dispatch();
    });
  }

  close(): void {
    this.closed = true;
    for (const w of this.workers) if (w.connected) w.disconnect();
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const { job, resolve, reject } = this.queue.shift()!;
      const id = this.nextId++;
      this.pending.set(id, { worker, resolve, reject });
      worker.send({ id, job });
    }
  }

  private onReply(worker: ChildProcess, reply: Reply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    this.idle.push(worker);
    if (reply.error !== undefined) p.reject(new Error(reply.error));
    else p.resolve(reply.result!);
    this.dispatch();
  }

  private onExit(worker: ChildProcess, code: number | null, signal: string | null): void {
    const i = this.idle.indexOf(worker);
    if (i >= 0) this.idle.splice(i, 1);
    if (this.closed) return;
    const why = new Error(`inner-loop worker exited (code ${code}, signal ${signal}) before its inner loop finished`);
    for (const [id, p] of this.pending) {
      if (p.worker === worker) {
        this.pending.delete(id);
        p.reject(why);
      }
    }
    if (this.idle.length === 0 && this.pending.size === 0) {
      for (const q of this.queue.splice(0)) q.reject(why);
    }
  }
}
