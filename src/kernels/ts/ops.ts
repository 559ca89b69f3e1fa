// The element-wise and row-wise kernels in plain TypeScript: RMSNorm, RoPE, SwiGLU, cross-entropy,
// embedding and AdamW. These are the oracle the native kernels are tested against (they compute
// in float64 where a reduction is involved, and store fp32) and the fallback when the addon is not
// built. Argument errors carry the same messages as src/native/ops.cpp.
import { checkF32, checkI32, checkInt, checkWeights, weightAt } from '../check.js';
import type { Weights } from '../types.js';

const f = Math.fround;

function checkNum(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`);
}

function checkBool(name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean`);
}

/** Every ids[i] in [0, V) (or −100 when allowIgnore), else a RangeError naming the element. */
function checkIds(name: string, ids: Int32Array, V: number, allowIgnore: boolean): void {
  for (let i = 0; i < ids.length; i++) {
    const t = ids[i]!;
    if ((t < 0 || t >= V) && !(allowIgnore && t === -100)) {
      throw new RangeError(
        `${name}[${i}] = ${t} is outside [0, ${V})${allowIgnore ? ' and is not -100' : ''}`,
      );
    }
  }
}

export function rmsnormForward(
  N: number, C: number, eps: number, x: Float32Array, w: Weights, y: Float32Array, rstd: Float32Array,
): void {
  checkInt('rmsnormForward: N', N);
  checkInt('rmsnormForward: C', C, 1);
  checkNum('rmsnormForward: eps', eps);
  checkF32('rmsnormForward: x', x, N * C);
  checkWeights('rmsnormForward: w', w, C);
  checkF32('rmsnormForward: y', y, N * C);
  checkF32('rmsnormForward: rstd', rstd, N);
  const wf = new Float64Array(C);
  for (let j = 0; j < C; j++) wf[j] = weightAt(w, j);
  for (let i = 0; i < N; i++) {
    const o = i * C;
    let ss = 0;
    for (let j = 0; j < C; j++) ss += x[o + j]! * x[o + j]!;
    rstd[i] = 1 / Math.sqrt(f(ss / C) + f(eps));
    const r = rstd[i]!;
    for (let j = 0; j < C; j++) y[o + j] = f(x[o + j]! * r) * wf[j]!;
  }
}

export function rmsnormBackward(
  N: number, C: number, x: Float32Array, w: Weights, rstd: Float32Array, dy: Float32Array,
  dx: Float32Array, dw: Float32Array | null,
): void {
  checkInt('rmsnormBackward: N', N);
  checkInt('rmsnormBackward: C', C, 1);
  checkF32('rmsnormBackward: x', x, N * C);
  checkWeights('rmsnormBackward: w', w, C);
  checkF32('rmsnormBackward: rstd', rstd, N);
  checkF32('rmsnormBackward: dy', dy, N * C);
  checkF32('rmsnormBackward: dx', dx, N * C);
  if (dw !== null && dw !== undefined) checkF32('rmsnormBackward: dw', dw, C);
  const wf = new Float64Array(C);
  for (let j = 0; j < C; j++) wf[j] = weightAt(w, j);
  // dw first (dx may alias dy: it is computed last, row by row, after its row has been read).
  if (dw) {
    const acc = new Float64Array(C);
    for (let i = 0; i < N; i++) {
      const o = i * C;
      const r = rstd[i]!;
      for (let j = 0; j < C; j++) acc[j] += dy[o + j]! * x[o + j]! * r;
    }
    for (let j = 0; j < C; j++) dw[j] = dw[j]! + acc[j]!;
  }
  for (let i = 0; i < N; i++) {
    const o = i * C;
    const r = rstd[i]!;
    let dot = 0;
    for (let j = 0; j < C; j++) dot += dy[o + j]! * wf[j]! * x[o + j]!;
    const k = (r * r * r * dot) / C;
    for (let j = 0; j < C; j++) dx[o + j] = r * wf[j]! * dy[o + j]! - k * x[o + j]!;
  }
}

export function rope(
  N: number, H: number, D: number, x: Float32Array, positions: Int32Array,
  cos: Float32Array, sin: Float32Array, inverse: boolean,
): void {
  checkInt('rope: N', N);
  checkInt('rope: H', H, 1);
  checkInt('rope: D', D, 2);
  if (D % 2 !== 0) throw new RangeError(`rope: D must be even, got ${D}`);
  checkF32('rope: x', x, N * H * D);
  checkI32('rope: positions', positions, N);
  const half = D / 2;
  if (!(cos instanceof Float32Array)) throw new TypeError('rope: cos must be a Float32Array');
  if (cos.length % half !== 0) {
    throw new RangeError(`rope: cos has ${cos.length} elements, expected a multiple of D/2 = ${half}`);
  }
  checkF32('rope: sin', sin, cos.length);
  checkBool('rope: inverse', inverse);
  const maxPos = cos.length / half;
  checkIds('rope: positions', positions, maxPos, false);
  for (let n = 0; n < N; n++) {
    const t = positions[n]! * half;
    for (let h = 0; h < H; h++) {
      const o = (n * H + h) * D;
      for (let i = 0; i < half; i++) {
        const c = cos[t + i]!;
        const s = inverse ? -sin[t + i]! : sin[t + i]!;
        const x1 = x[o + i]!;
        const x2 = x[o + i + half]!;
        x[o + i] = f(x1 * c) - f(x2 * s);
        x[o + i + half] = f(x2 * c) + f(x1 * s);
      }
    }
  }
}

function sigmoid(g: number): number {
  return 1 / (1 + Math.exp(-g));
}

export function swigluForward(n: number, g: Float32Array, u: Float32Array, h: Float32Array): void {
  checkInt('swigluForward: n', n);
  checkF32('swigluForward: g', g, n);
  checkF32('swigluForward: u', u, n);
  checkF32('swigluForward: h', h, n);
  for (let i = 0; i < n; i++) {
    const gi = g[i]!;
    h[i] = (gi * sigmoid(gi)) * u[i]!;
  }
}

export function swigluBackward(
  n: number, g: Float32Array, u: Float32Array, dh: Float32Array, dg: Float32Array, du: Float32Array,
): void {
  checkInt('swigluBackward: n', n);
  checkF32('swigluBackward: g', g, n);
  checkF32('swigluBackward: u', u, n);
  checkF32('swigluBackward: dh', dh, n);
  checkF32('swigluBackward: dg', dg, n);
  checkF32('swigluBackward: du', du, n);
  for (let i = 0; i < n; i++) {
    const gi = g[i]!;
    const ui = u[i]!;
    const d = dh[i]!;
    const s = sigmoid(gi);
    dg[i] = d * ui * (s * (1 + gi * (1 - s)));
    du[i] = d * gi * s;
  }
}

export function crossEntropyForward(
  N: number, V: number, logits: Float32Array, targets: Int32Array, losses: Float32Array, lse: Float32Array,
): void {
  checkInt('crossEntropyForward: N', N);
  checkInt('crossEntropyForward: V', V, 1);
  checkF32('crossEntropyForward: logits', logits, N * V);
  checkI32('crossEntropyForward: targets', targets, N);
  checkF32('crossEntropyForward: losses', losses, N);
  checkF32('crossEntropyForward: lse', lse, N);
  checkIds('crossEntropyForward: targets', targets, V, true);
  for (let i = 0; i < N; i++) {
    const o = i * V;
    let mx = -Infinity;
    for (let j = 0; j < V; j++) if (logits[o + j]! > mx) mx = logits[o + j]!;
    let l = mx; // a row of −inf (no mass) or with +inf: lse = the max, as the native kernels
    if (Number.isFinite(mx)) {
      let sum = 0;
      for (let j = 0; j < V; j++) sum += Math.exp(logits[o + j]! - mx);
      l = mx + Math.log(sum);
    }
    lse[i] = l;
    const t = targets[i]!;
    losses[i] = t === -100 ? 0 : l - logits[o + t]!;
  }
}

export function crossEntropyBackward(
  N: number, V: number, logits: Float32Array, targets: Int32Array, lse: Float32Array,
  dloss: Float32Array, dlogits: Float32Array,
): void {
  checkInt('crossEntropyBackward: N', N);
  checkInt('crossEntropyBackward: V', V, 1);
  checkF32('crossEntropyBackward: logits', logits, N * V);
  checkI32('crossEntropyBackward: targets', targets, N);
  checkF32('crossEntropyBackward: lse', lse, N);
  checkF32('crossEntropyBackward: dloss', dloss, N);
  checkF32('crossEntropyBackward: dlogits', dlogits, N * V);
  checkIds('crossEntropyBackward: targets', targets, V, true);
  for (let i = 0; i < N; i++) {
    const o = i * V;
    const t = targets[i]!;
    if (t === -100) {
      dlogits.fill(0, o, o + V);
      continue;
    }
    const l = lse[i]!;
    const d = dloss[i]!;
    // Read logit j before writing dlogit j: dlogits may be logits itself.
    for (let j = 0; j < V; j++) dlogits[o + j] = d * Math.exp(logits[o + j]! - l);
    dlogits[o + t] = dlogits[o + t]! - d;
  }
}

export function embeddingForward(
  N: number, C: number, V: number, table: Weights, ids: Int32Array, out: Float32Array,
): void {
  checkInt('embeddingForward: N', N);
  checkInt('embeddingForward: C', C, 1);
  checkInt('embeddingForward: V', V, 1);
  checkWeights('embeddingForward: table', table, V * C);
  checkI32('embeddingForward: ids', ids, N);
  checkF32('embeddingForward: out', out, N * C);
  checkIds('embeddingForward: ids', ids, V, false);
  for (let i = 0; i < N; i++) {
    const src = ids[i]! * C;
    const dst = i * C;
    if (table instanceof Float32Array) {
      out.set(table.subarray(src, src + C), dst);
    } else {
      for (let j = 0; j < C; j++) out[dst + j] = weightAt(table, src + j);
    }
  }
}

export function embeddingBackward(
  N: number, C: number, V: number, ids: Int32Array, dout: Float32Array, dtable: Float32Array,
): void {
  checkInt('embeddingBackward: N', N);
  checkInt('embeddingBackward: C', C, 1);
  checkInt('embeddingBackward: V', V, 1);
  checkI32('embeddingBackward: ids', ids, N);
  checkF32('embeddingBackward: dout', dout, N * C);
  checkF32('embeddingBackward: dtable', dtable, V * C);
  checkIds('embeddingBackward: ids', ids, V, false);
  for (let i = 0; i < N; i++) {
    const dst = ids[i]! * C;
    const src = i * C;
    for (let j = 0; j < C; j++) dtable[dst + j] = dtable[dst + j]! + dout[src + j]!;
  }
}

export function add(n: number, a: Float32Array, b: Float32Array, out: Float32Array): void {
  checkInt('add: n', n);
  checkF32('add: a', a, n);
  checkF32('add: b', b, n);
  checkF32('add: out', out, n);
  for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
}

export function scale(n: number, x: Float32Array, s: number, out: Float32Array): void {
  checkInt('scale: n', n);
  checkF32('scale: x', x, n);
  checkNum('scale: s', s);
  checkF32('scale: out', out, n);
  const c = f(s);
  for (let i = 0; i < n; i++) out[i] = x[i]! * c;
}

export function adamw(
  n: number, param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array,
  lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number,
): void {
  checkInt('adamw: n', n);
  checkF32('adamw: param', param, n);
  checkF32('adamw: grad', grad, n);
  checkF32('adamw: m', m, n);
  checkF32('adamw: v', v, n);
  checkNum('adamw: lr', lr);
  checkNum('adamw: beta1', beta1);
  checkNum('adamw: beta2', beta2);
  checkNum('adamw: eps', eps);
  checkNum('adamw: weightDecay', weightDecay);
  checkInt('adamw: step', step, 1);
  // Scalars in float64 as Python computes them, then rounded to fp32 as torch does when it
  // applies a Python number to a float tensor.
  const decay = f(1 - lr * weightDecay);
  const b1 = f(beta1), omb1 = f(1 - beta1);
  const b2 = f(beta2), omb2 = f(1 - beta2);
  const bc1 = 1 - beta1 ** step;
  const bc2 = 1 - beta2 ** step;
  const stepSize = f(lr / bc1);
  const bc2Sqrt = f(Math.sqrt(bc2));
  const epsF = f(eps);
  for (let i = 0; i < n; i++) {
    const gi = grad[i]!;
    const p = f(param[i]! * decay);
    const mi = f(f(m[i]! * b1) + f(gi * omb1));
    const vi = f(f(v[i]! * b2) + f(f(gi * omb2) * gi));
    const denom = f(f(f(Math.sqrt(vi)) / bc2Sqrt) + epsF);
    m[i] = mi;
    v[i] = vi;
    param[i] = p - f(f(stepSize * mi) / denom);
  }
}
