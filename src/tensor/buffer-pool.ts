// Step-scoped reuse of activation and gradient buffers. A training step of a 0.5B model creates
// about a gigabyte of fresh Float32Arrays; left to the garbage collector, that is ~60 collections
// a step (V8 collects on external-memory pressure), concurrent marking competing with the GEMM
// threads for 2 cores, and malloc/munmap of the same sizes every step. Inside `withBufferPool`,
// `uninitialized` takes buffers from the pool instead, and autograd hands them back the moment
// they are provably dead:
//   - a node's output, once the node's backward has run (every reader of it is a newer node, so
//     it has already run), when the node claimed it: the buffer was fresh from the pool and is not
//     the data of one of the node's inputs (reshape shares its input's buffer);
//   - a gradient, once it has been added into another (addGrad) or its node has run without an
//     input adopting it.
// Everything else lent in the scope goes back when the scope ends. Each loan is a new
// Float32Array over the pooled ArrayBuffer, so a stale reference can never return a buffer
// that has been lent out again. `poison` fills returned buffers with NaN: a read after the
// return shows up in the results (the tests train with it on).

interface Loan {
  buffer: ArrayBuffer;
  /** The id of the graph node that owns this buffer as its output, or -1. */
  owner: number;
  /** Order of lending (see mark). */
  seq: number;
}

/** Sizes are rounded up to one of 8 classes per power of two (at most 12.5% extra), so lengths that vary from batch to batch still find buffers. */
function sizeClass(n: number): number {
  const step = Math.max(1, 2 ** (Math.floor(Math.log2(n)) - 3));
  return Math.ceil(n / step) * step;
}

export class BufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private readonly lent = new Map<Float32Array, Loan>();
  /** Free buffers no loan has used since the current scope began: dropped when it ends. */
  private idle = new Set<ArrayBuffer>();
  private readonly poison: boolean;
  private loans = 0;
  /** Bytes allocated fresh (not reused) over the pool's life. */
  allocatedBytes = 0;

  constructor(options: { poison?: boolean } = {}) {
    this.poison = options.poison ?? false;
  }

  take(n: number): Float32Array {
    const cls = sizeClass(n);
    let buffer = this.free.get(cls)?.pop();
    if (buffer) this.idle.delete(buffer);
    else { // zero-filled, but only the first time a size is needed
      buffer = new ArrayBuffer(cls * 4);
      this.allocatedBytes += cls * 4;
    }
    const view = new Float32Array(buffer, 0, n);
    this.lent.set(view, { buffer, owner: -1, seq: this.loans++ });
    return view;
  }

  /** Node `nodeId` owns `data` as its output when it is a fresh loan not shared with an input. */
  claim(data: Float32Array | Uint16Array, nodeId: number, inputs: ReadonlyArray<{ data: { buffer: ArrayBufferLike } }>): void {
    const loan = this.lent.get(data as Float32Array);
    if (!loan || loan.owner !== -1) return;
    for (const t of inputs) if (t.data.buffer === loan.buffer) return;
    loan.owner = nodeId;
  }

  /** Node `nodeId` has run its backward: its claimed output is dead. */
  releaseOutput(data: Float32Array | Uint16Array, nodeId: number): void {
    const loan = this.lent.get(data as Float32Array);
    if (loan && loan.owner === nodeId) this.release(data as Float32Array);
  }

  /** `view` is dead (no-op unless it is a current loan of this pool). */
  release(view: Float32Array): void {
    const loan = this.lent.get(view);
    if (!loan) return;
    this.lent.delete(view);
    if (this.poison) view.fill(NaN);
    this.giveBack(loan.buffer);
  }

  /** A point in the order of loans, for releaseSince. */
  mark(): number {
    return this.loans;
  }

  /** Returns every loan made since `mark` except those over `keep`'s buffer (code that ran without recording, whose only survivor is keep). */
  releaseSince(mark: number, keep: Float32Array | Uint16Array): void {
    for (const [view, loan] of this.lent) {
      if (loan.seq >= mark && loan.buffer !== keep.buffer) this.release(view);
    }
  }

  isLent(view: Float32Array): boolean {
    return this.lent.has(view);
  }

  beginScope(): void {
    this.idle = new Set([...this.free.values()].flat());
  }

  /** Returns every loan of the scope; drops the buffers that stayed idle through it (sizes no longer in use). */
  endScope(): void {
    for (const view of this.lent.keys()) this.release(view);
    for (const [cls, list] of this.free) {
      const kept = list.filter((b) => !this.idle.has(b));
      if (kept.length) this.free.set(cls, kept);
      else this.free.delete(cls);
    }
    this.idle.clear();
  }

  private giveBack(buffer: ArrayBuffer): void {
    const cls = buffer.byteLength / 4;
    const list = this.free.get(cls);
    if (list) list.push(buffer);
    else this.free.set(cls, [buffer]);
  }
}

let active: BufferPool | null = null;

/** The pool `uninitialized` and autograd use now, if any. */
export function activeBufferPool(): BufferPool | null {
  return active;
}

/**
 * Runs fn with `pool` active; every buffer lent during fn is returned when it ends. Only for code
 * that keeps none of fn's activations or non-leaf gradients afterwards (a training micro-batch:
 * forward, loss, backward). Parameter gradients never come from the pool.
 */
export function withBufferPool<T>(pool: BufferPool, fn: () => T): T {
  const saved = active;
  active = pool;
  pool.beginScope();
  try {
    return fn();
  } finally {
    active = saved;
    pool.endScope();
  }
}
