// Reverse-mode autograd. Each differentiable op computes its output and, when grad mode is on and
// some input requires grad, records a node: (output, inputs, backward closure). The closure gets
// d(loss)/d(output) and adds each input's share into input.grad. `backward(loss)` collects the
// nodes reachable from the loss, runs them newest first (creation order is a topological order,
// like a tape), and frees them as it goes: saved activations and intermediate gradients are
// dropped, so nothing outlives the step. A graph can be backpropagated once.
import { kernels } from '../kernels/index.js';
import { Tensor, formatShape, uninitialized } from './tensor.js';
import { activeBufferPool } from './buffer-pool.js';

export interface GradNode {
  /** Creation counter: nodes run in decreasing id (newest first). */
  readonly id: number;
  /** The op that made it, for error messages. */
  readonly op: string;
  output: Tensor;
  inputs: Tensor[];
  /** Adds the inputs' gradient shares, given dOutput (an owned buffer it may consume). null once run. */
  backward: ((dOutput: Float32Array) => void) | null;
}

let gradEnabled = true;
let nextNodeId = 0;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn with recording off (inference, evaluation, optimizer steps). */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const saved = gradEnabled;
  gradEnabled = enabled;
  try {
    return fn();
  } finally {
    gradEnabled = saved;
  }
}

/** True when an op over these inputs must record a node (and so keep what its backward needs). */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t?.requiresGrad) return true;
  return false;
}

/**
 * Attaches a node to `output` when needsGrad(inputs); returns output. The closure must add (never
 * assign) into input.grad, skip inputs without requiresGrad, and treat dOutput as owned: it may
 * overwrite it or hand it to `addGrad`.
 */
export function record(op: string, output: Tensor, inputs: Tensor[], backward: (dOutput: Float32Array) => void): Tensor {
  if (!needsGrad(...inputs)) return output;
  output.requiresGrad = true;
  output.node = { id: nextNodeId++, op, output, inputs, backward };
  activeBufferPool()?.claim(output.data, output.node.id, inputs);
  return output;
}

/** t.grad, allocated (zeros) on first use: for kernels and loops that accumulate in place. */
export function gradOf(t: Tensor): Float32Array {
  return (t.grad ??= new Float32Array(t.numel));
}

/**
 * A new gradient buffer for t that the caller overwrites in full (beta = 0). An activation's comes
 * from the step's buffer pool; a leaf's never does, since a leaf's gradient outlives the step.
 */
export function freshGrad(t: Tensor): Float32Array {
  return (t.grad = t.node === null ? new Float32Array(t.numel) : uninitialized(t.numel));
}

/**
 * Adds g into t.grad. g must be owned by the caller and not used afterwards: when t has no
 * gradient yet, g becomes it (no copy). No-op when t does not require grad.
 */
export function addGrad(t: Tensor, g: Float32Array): void {
  if (!t.requiresGrad || t.grad === g) return;
  if (g.length !== t.numel) throw new RangeError(`addGrad: gradient has ${g.length} elements, ${t.label()} has ${t.numel}`);
  const dst = t.grad;
  const pool = activeBufferPool();
  if (dst === null) {
    // A leaf's gradient outlives the step, so it never keeps a pooled buffer.
    if (t.node === null && pool?.isLent(g)) {
      t.grad = g.slice();
      pool.release(g);
    } else t.grad = g;
    return;
  }
  kernels.add(dst.length, dst, g, dst);
  pool?.release(g);
}

/**
 * Backpropagates from `root`: seeds d(root) with `grad` (copied), or 1 when root has one element,
 * then runs every node reachable from root, newest first. Leaves that require grad accumulate into
 * .grad; intermediate gradients are dropped as soon as they are used. The graph is freed.
 */
export function backward(root: Tensor, grad?: Float32Array): void {
  runBackward(root, grad, false, 0);
}

/** `owned`: grad may be consumed (no copy). `oldestNodeId`: older nodes are outside a checkpoint. */
function runBackward(root: Tensor, grad: Float32Array | undefined, owned: boolean, oldestNodeId: number): void {
  if (!root.requiresGrad) {
    throw new Error(`backward: tensor ${root.label()} does not require grad (no input required grad, or it was computed under noGrad)`);
  }
  let seed: Float32Array;
  if (grad !== undefined) {
    if (grad.length !== root.numel) {
      throw new RangeError(`backward: grad has ${grad.length} elements but the tensor ${root.label()} has ${root.numel}`);
    }
    seed = owned ? grad : Float32Array.from(grad);
  } else {
    if (root.numel !== 1) {
      throw new RangeError(`backward: tensor ${root.label()} is not a scalar; pass its gradient explicitly`);
    }
    seed = new Float32Array([1]);
  }
  if (root.node === null) { // a leaf: d(root)/d(root) is the seed itself
    addGrad(root, seed);
    return;
  }
  const order = reachableNodes(root.node, oldestNodeId);
  order.sort((a, b) => b.id - a.id);
  root.grad = seed; // a non-leaf's gradient lives only during backward
  const pool = activeBufferPool();
  for (const node of order) {
    const run = node.backward!;
    const dOutput = node.output.grad;
    const inputs = node.inputs;
    // Free before running: the closure may consume dOutput, and a throw must not leave it reusable.
    node.backward = null;
    node.inputs = [];
    node.output.grad = null;
    if (dOutput !== null) run(dOutput);
    if (pool) { // see buffer-pool.ts: what is provably dead now goes back
      if (dOutput !== null && !inputs.some((t) => t.grad === dOutput)) pool.release(dOutput);
      pool.releaseOutput(node.output.data, node.id);
    }
  }
}

/** Every unfreed node reachable from `start` (iterative DFS: graphs of 7B models are deep). */
function reachableNodes(start: GradNode, oldestNodeId: number): GradNode[] {
  const seen = new Set<GradNode>([start]);
  const stack = [start];
  const out: GradNode[] = [];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.id < oldestNodeId) {
      throw new Error(`checkpoint: fn read a tensor with autograd history (made by '${node.op}', ${formatShape(node.output.shape)}) that is not in its inputs; pass it in inputs`);
    }
    if (node.backward === null) {
      throw new Error(`backward: the graph through '${node.op}' (output ${formatShape(node.output.shape)}) was already freed by an earlier backward(); run the forward pass again`);
    }
    out.push(node);
    for (const input of node.inputs) {
      const producer = input.node;
      if (producer !== null && !seen.has(producer)) {
        seen.add(producer);
        stack.push(producer);
      }
    }
  }
  return out;
}

/** Zeroes the gradients of params in place (buffers are kept: allocated once, reused every step). */
export function zeroGrad(params: Iterable<Tensor>): void {
  for (const p of params) p.grad?.fill(0);
}

/** Same data, no history: a leaf that requires grad when `requiresGrad` is set. */
export function detach(t: Tensor, requiresGrad = false): Tensor {
  return new Tensor(t.data, t.shape, { requiresGrad, ...(t.name !== undefined ? { name: t.name } : {}) });
}

/**
 * Gradient checkpointing: runs fn(...inputs) without recording, keeping only the inputs; backward
 * runs fn again with recording and backpropagates through that second run. Parameters fn reads
 * (captured leaves) still get their gradients. Any tensor with autograd history that fn reads
 * must be passed in `inputs`. fn must be deterministic: the same inputs must give the same
 * output (dropout takes its mask seed from outside, never from a counter fn advances).
 * Recorded whenever grad mode is on, since fn's parameters cannot be seen from outside.
 */
export function checkpoint(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[]): Tensor {
  if (!gradEnabled) return fn(...inputs);
  const pool = activeBufferPool();
  const mark = pool?.mark();
  const first = noGrad(() => fn(...inputs));
  // Nothing fn computed without recording outlives it but its result: its buffers go back now,
  // or a pooled step would hold every layer's activations, as if there were no checkpointing.
  if (pool) pool.releaseSince(mark!, first.data);
  // A fresh tensor over the result's data, so an input that fn returned unchanged keeps its history.
  const output = new Tensor(first.data, first.shape, { requiresGrad: true });
  output.node = {
    id: nextNodeId++,
    op: 'checkpoint',
    output,
    inputs,
    backward: (dOutput) => {
      const detached = inputs.map((t) => detach(t, t.requiresGrad));
      const oldest = nextNodeId;
      const again = withGradMode(true, () => fn(...detached));
      if (again.numel !== output.numel) {
        throw new Error(`checkpoint: fn gave ${formatShape(again.shape)} on the re-run but ${formatShape(output.shape)} the first time; fn must be deterministic`);
      }
      if (again.requiresGrad) runBackward(again, dOutput, true, oldest);
      for (let i = 0; i < inputs.length; i++) {
        const g = detached[i]!.grad;
        if (g !== null) addGrad(inputs[i]!, g);
      }
    },
  };
  pool?.claim(output.data, output.node.id, inputs);
  return output;
}
