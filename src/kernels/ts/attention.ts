// Causal grouped-query attention in plain TypeScript: the oracle the native kernels are tested
// against, and the fallback without the addon. One query row at a time (never the T×T matrix),
// float64 arithmetic inside, fp32 results. Same contract and argument checks as the native
// kernels (see ../types.ts).
import { checkF32, checkI32, checkInt } from '../check.js';

const MAX_DIM = 2147483647;

function checkDims(fn: string, names: string[], values: number[]): void {
  for (let i = 0; i < names.length; i++) checkInt(`${fn}: ${names[i]}`, values[i]!, 1, MAX_DIM);
}

function checkHeads(fn: string, Hq: number, Hkv: number): void {
  if (Hq % Hkv !== 0) throw new RangeError(`${fn}: Hq (${Hq}) must be a multiple of Hkv (${Hkv})`);
}

function checkScale(fn: string, scale: number): void {
  if (typeof scale !== 'number') throw new TypeError(`${fn}: scale must be a number`);
}

function checkSegLength(fn: string, seg: Int32Array | null, B: number, T: number): void {
  if (seg !== null && seg !== undefined) checkI32(`${fn}: segStart`, seg, B * T);
}

function checkSegValues(fn: string, seg: Int32Array | null, B: number, T: number): void {
  if (seg === null || seg === undefined) return;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const s = seg[b * T + t]!;
      if (s < 0 || s > t) {
        throw new RangeError(`${fn}: segStart[${b * T + t}] = ${s} is out of range [0, ${t}]`);
      }
    }
  }
}

/**
 * Scores of query row (b, t, h) against its visible keys lo..t, scaled, into s[0..t-lo].
 * Returns lo.
 */
function scoreRow(
  T: number, Hq: number, Hkv: number, D: number, scale: number, q: Float32Array, k: Float32Array,
  seg: Int32Array | null, b: number, t: number, h: number, g: number, s: Float64Array,
): number {
  const lo = seg ? seg[b * T + t]! : 0;
  const qo = ((b * T + t) * Hq + h) * D;
  for (let j = lo; j <= t; j++) {
    const ko = ((b * T + j) * Hkv + g) * D;
    let acc = 0;
    for (let d = 0; d < D; d++) acc += q[qo + d]! * k[ko + d]!;
    s[j - lo] = acc * scale;
  }
  return lo;
}

/** The checks forward and backward share, in the order the native binding makes them. */
function checkSharedArgs(
  fn: string, B: number, T: number, Hq: number, Hkv: number, D: number, scale: number,
  q: Float32Array, k: Float32Array, v: Float32Array, segStart: Int32Array | null, out: Float32Array, lse: Float32Array,
): void {
  checkDims(fn, ['B', 'T', 'Hq', 'Hkv', 'D'], [B, T, Hq, Hkv, D]);
  checkScale(fn, scale);
  checkHeads(fn, Hq, Hkv);
  checkF32(`${fn}: q`, q, B * T * Hq * D);
  checkF32(`${fn}: k`, k, B * T * Hkv * D);
  checkF32(`${fn}: v`, v, B * T * Hkv * D);
  checkSegLength(fn, segStart, B, T);
  checkF32(`${fn}: out`, out, B * T * Hq * D);
  checkF32(`${fn}: lse`, lse, B * Hq * T);
}

export function attentionForward(
  B: number, T: number, Hq: number, Hkv: number, D: number, scale: number,
  q: Float32Array, k: Float32Array, v: Float32Array, segStart: Int32Array | null,
  out: Float32Array, lse: Float32Array,
): void {
  const fn = 'attentionForward';
  checkSharedArgs(fn, B, T, Hq, Hkv, D, scale, q, k, v, segStart, out, lse);
  checkSegValues(fn, segStart, B, T);
  const seg = segStart ?? null;
  const G = Hq / Hkv;
  const s = new Float64Array(T);
  const o = new Float64Array(D);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      const g = Math.floor(h / G);
      for (let t = 0; t < T; t++) {
        const lo = scoreRow(T, Hq, Hkv, D, scale, q, k, seg, b, t, h, g, s);
        const n = t - lo + 1;
        let m = -Infinity;
        for (let j = 0; j < n; j++) if (s[j]! > m) m = s[j]!;
        let sum = 0;
        o.fill(0);
        for (let j = 0; j < n; j++) {
          const p = Math.exp(s[j]! - m);
          sum += p;
          const vo = ((b * T + lo + j) * Hkv + g) * D;
          for (let d = 0; d < D; d++) o[d] += p * v[vo + d]!;
        }
        const oo = ((b * T + t) * Hq + h) * D;
        for (let d = 0; d < D; d++) out[oo + d] = o[d]! / sum;
        lse[(b * Hq + h) * T + t] = m + Math.log(sum);
      }
    }
  }
}

export function attentionBackward(
  B: number, T: number, Hq: number, Hkv: number, D: number, scale: number,
  q: Float32Array, k: Float32Array, v: Float32Array, segStart: Int32Array | null,
  out: Float32Array, lse: Float32Array, dout: Float32Array,
  dq: Float32Array, dk: Float32Array, dv: Float32Array,
): void {
  const fn = 'attentionBackward';
  checkSharedArgs(fn, B, T, Hq, Hkv, D, scale, q, k, v, segStart, out, lse);
  checkF32(`${fn}: dout`, dout, B * T * Hq * D);
  checkF32(`${fn}: dq`, dq, B * T * Hq * D);
  checkF32(`${fn}: dk`, dk, B * T * Hkv * D);
  checkF32(`${fn}: dv`, dv, B * T * Hkv * D);
  checkSegValues(fn, segStart, B, T);
  const seg = segStart ?? null;
  const G = Hq / Hkv;
  const s = new Float64Array(T);
  const dq64 = new Float64Array(D);
  const dk64 = new Float64Array(B * T * Hkv * D);
  const dv64 = new Float64Array(B * T * Hkv * D);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      const g = Math.floor(h / G);
      for (let t = 0; t < T; t++) {
        // P from the saved lse; D_t = rowsum(dout ∘ out); dS = P ∘ (dP − D_t).
        const lo = scoreRow(T, Hq, Hkv, D, scale, q, k, seg, b, t, h, g, s);
        const qo = ((b * T + t) * Hq + h) * D;
        const L = lse[(b * Hq + h) * T + t]!;
        let Dt = 0;
        for (let d = 0; d < D; d++) Dt += dout[qo + d]! * out[qo + d]!;
        dq64.fill(0);
        for (let j = lo; j <= t; j++) {
          const p = Math.exp(s[j - lo]! - L);
          const ko = ((b * T + j) * Hkv + g) * D;
          let dp = 0;
          for (let d = 0; d < D; d++) dp += dout[qo + d]! * v[ko + d]!;
          const ds = p * (dp - Dt) * scale;
          for (let d = 0; d < D; d++) {
            dq64[d] += ds * k[ko + d]!;
            dk64[ko + d] += ds * q[qo + d]!;
            dv64[ko + d] += p * dout[qo + d]!;
          }
        }
        for (let d = 0; d < D; d++) dq[qo + d] = dq64[d]!;
      }
    }
  }
  dk.set(dk64);
  dv.set(dv64);
}

export function attentionDecode(
  B: number, Hq: number, Hkv: number, D: number, maxT: number, scale: number,
  q: Float32Array, kCache: Float32Array, vCache: Float32Array, lens: Int32Array, out: Float32Array,
): void {
  const fn = 'attentionDecode';
  checkDims(fn, ['B', 'Hq', 'Hkv', 'D', 'maxT'], [B, Hq, Hkv, D, maxT]);
  checkScale(fn, scale);
  checkHeads(fn, Hq, Hkv);
  checkF32(`${fn}: q`, q, B * Hq * D);
  checkF32(`${fn}: kCache`, kCache, B * Hkv * maxT * D);
  checkF32(`${fn}: vCache`, vCache, B * Hkv * maxT * D);
  checkI32(`${fn}: lens`, lens, B);
  checkF32(`${fn}: out`, out, B * Hq * D);
  for (let b = 0; b < B; b++) {
    const len = lens[b]!;
    if (len < 1 || len > maxT) throw new RangeError(`${fn}: lens[${b}] = ${len} is out of range [1, ${maxT}]`);
  }
  const G = Hq / Hkv;
  const s = new Float64Array(maxT);
  const o = new Float64Array(D);
  for (let b = 0; b < B; b++) {
    const len = lens[b]!;
    for (let h = 0; h < Hq; h++) {
      const base = (b * Hkv + Math.floor(h / G)) * maxT * D;
      const qo = (b * Hq + h) * D;
      let m = -Infinity;
      for (let j = 0; j < len; j++) {
        let acc = 0;
        for (let d = 0; d < D; d++) acc += q[qo + d]! * kCache[base + j * D + d]!;
        s[j] = acc * scale;
        if (s[j]! > m) m = s[j]!;
      }
      let sum = 0;
      o.fill(0);
      for (let j = 0; j < len; j++) {
        const p = Math.exp(s[j]! - m);
        sum += p;
        for (let d = 0; d < D; d++) o[d] += p * vCache[base + j * D + d]!;
      }
      for (let d = 0; d < D; d++) out[qo + d] = o[d]! / sum;
    }
  }
}
