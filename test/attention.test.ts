// Attention kernels (forward, backward, decode):
//  1. the TypeScript twin against a naive float64 reference (full softmax) and PyTorch fixtures
//     (scripts/fixtures/attention.py), its backward against central finite differences;
//  2. every native dispatch path (AVX-512, AVX2, scalar) against the TypeScript twin on odd
//     shapes, with and without packed documents, and decode against the last row of a forward;
//  3. argument errors: wrong types and lengths, out-of-range lens and segStart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { assertClose, forEachNativePath, nativeKernels, randn, rng, tsKernels } from './helpers.js';
import type { Kernels } from '../src/kernels/index.js';

interface Shape { B: number; T: number; Hq: number; Hkv: number; D: number }

/** segStart for B sequences of length T cut into documents at random points (first always 0). */
function makeSeg(B: number, T: number, docs: number, seed: number): Int32Array {
  const r = rng(seed);
  const seg = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const cuts = new Set<number>([0]);
    for (let i = 1; i < docs; i++) cuts.add(Math.floor(r() * T));
    let start = 0;
    for (let t = 0; t < T; t++) {
      if (cuts.has(t)) start = t;
      seg[b * T + t] = start;
    }
  }
  return seg;
}

function inputs(s: Shape, seed: number) {
  const nq = s.B * s.T * s.Hq * s.D;
  const nk = s.B * s.T * s.Hkv * s.D;
  return {
    q: randn(nq, seed), k: randn(nk, seed + 1), v: randn(nk, seed + 2), dout: randn(nq, seed + 3),
    scale: 1 / Math.sqrt(s.D),
  };
}

/** Naive float64 reference: full score rows, softmax, weighted sum. */
function naiveForward(
  s: Shape, scale: number, q: Float32Array, k: Float32Array, v: Float32Array, seg: Int32Array | null,
): { out: Float64Array; lse: Float64Array } {
  const { B, T, Hq, Hkv, D } = s;
  const out = new Float64Array(B * T * Hq * D);
  const lse = new Float64Array(B * Hq * T);
  const G = Hq / Hkv;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      const g = Math.floor(h / G);
      for (let t = 0; t < T; t++) {
        const scores = new Float64Array(T).fill(-Infinity);
        for (let j = 0; j < T; j++) {
          const allowed = j <= t && (!seg || j >= seg[b * T + t]!);
          if (!allowed) continue;
          let acc = 0;
          for (let d = 0; d < D; d++) acc += q[((b * T + t) * Hq + h) * D + d]! * k[((b * T + j) * Hkv + g) * D + d]!;
          scores[j] = acc * scale;
        }
        const m = Math.max(...scores);
        const p = scores.map((x) => Math.exp(x - m));
        const sum = p.reduce((a, x) => a + x, 0);
        for (let d = 0; d < D; d++) {
          let acc = 0;
          for (let j = 0; j < T; j++) acc += p[j]! * v[((b * T + j) * Hkv + g) * D + d]!;
          out[((b * T + t) * Hq + h) * D + d] = acc / sum;
        }
        lse[(b * Hq + h) * T + t] = m + Math.log(sum);
      }
    }
  }
  return { out, lse };
}

function runForward(kern: Kernels, s: Shape, x: ReturnType<typeof inputs>, seg: Int32Array | null) {
  const out = new Float32Array(s.B * s.T * s.Hq * s.D).fill(NaN);
  const lse = new Float32Array(s.B * s.Hq * s.T).fill(NaN);
  kern.attentionForward(s.B, s.T, s.Hq, s.Hkv, s.D, x.scale, x.q, x.k, x.v, seg, out, lse);
  return { out, lse };
}

function runBackward(
  kern: Kernels, s: Shape, x: ReturnType<typeof inputs>, seg: Int32Array | null, out: Float32Array, lse: Float32Array,
) {
  const dq = new Float32Array(x.q.length).fill(NaN);
  const dk = new Float32Array(x.k.length).fill(NaN);
  const dv = new Float32Array(x.v.length).fill(NaN);
  kern.attentionBackward(s.B, s.T, s.Hq, s.Hkv, s.D, x.scale, x.q, x.k, x.v, seg, out, lse, x.dout, dq, dk, dv);
  return { dq, dk, dv };
}

const shapeName = (s: Shape) => `B=${s.B} T=${s.T} Hq=${s.Hq} Hkv=${s.Hkv} D=${s.D}`;

// ---- 1. the TypeScript twin ---------------------------------------------------------------------

test('ts forward matches a naive float64 reference, with and without packed documents', () => {
  const shapes: Shape[] = [
    { B: 1, T: 1, Hq: 1, Hkv: 1, D: 1 },
    { B: 2, T: 7, Hq: 4, Hkv: 2, D: 5 },
    { B: 3, T: 13, Hq: 6, Hkv: 3, D: 8 },
  ];
  for (const [i, s] of shapes.entries()) {
    const x = inputs(s, 100 + i);
    for (const seg of [null, makeSeg(s.B, s.T, 3, 7 + i)]) {
      const got = runForward(tsKernels, s, x, seg);
      const ref = naiveForward(s, x.scale, x.q, x.k, x.v, seg);
      const what = `${shapeName(s)}${seg ? ' seg' : ''}`;
      assertClose(got.out, ref.out, { atol: 1e-6, rtol: 1e-6, what: `out ${what}` });
      assertClose(got.lse, ref.lse, { atol: 1e-6, rtol: 1e-6, what: `lse ${what}` });
    }
  }
});

test('ts backward matches central finite differences of L = Σ out∘R', () => {
  const s: Shape = { B: 2, T: 6, Hq: 4, Hkv: 2, D: 3 };
  for (const seg of [null, makeSeg(s.B, s.T, 3, 11)]) {
    const x = inputs(s, 200);
    const R = x.dout;  // L = Σ out∘R, so dL/dout = R
    const f = runForward(tsKernels, s, x, seg);
    const g = runBackward(tsKernels, s, x, seg, f.out, f.lse);
    const loss = (): number => {
      const o = runForward(tsKernels, s, x, seg).out;
      let acc = 0;
      for (let i = 0; i < o.length; i++) acc += o[i]! * R[i]!;
      return acc;
    };
    for (const [name, arr, grad] of [['q', x.q, g.dq], ['k', x.k, g.dk], ['v', x.v, g.dv]] as const) {
      const fd = new Float64Array(arr.length);
      for (let i = 0; i < arr.length; i++) {
        const orig = arr[i]!;
        arr[i] = orig + 1e-2;
        const up = arr[i]!;
        const lp = loss();
        arr[i] = orig - 1e-2;
        const down = arr[i]!;
        const lm = loss();
        arr[i] = orig;
        fd[i] = (lp - lm) / (up - down);  // the fp32 step actually taken
      }
      assertClose(grad, fd, { atol: 2e-4, rtol: 2e-3, what: `d${name}${seg ? ' seg' : ''}` });
    }
  }
});

interface Fixture extends Shape {
  scale: number; q: number[]; k: number[]; v: number[]; dout: number[]; segStart: number[] | null;
  out: number[]; lse: number[]; dq: number[]; dk: number[]; dv: number[];
}

function fixture(name: string): Fixture {
  return JSON.parse(readFileSync(new URL(`../../test/fixtures/attention/${name}.json`, import.meta.url), 'utf8'));
}

function checkFixture(kern: Kernels, fx: Fixture, label: string): void {
  const x = {
    q: Float32Array.from(fx.q), k: Float32Array.from(fx.k), v: Float32Array.from(fx.v),
    dout: Float32Array.from(fx.dout), scale: fx.scale,
  };
  const seg = fx.segStart ? Int32Array.from(fx.segStart) : null;
  const f = runForward(kern, fx, x, seg);
  assertClose(f.out, fx.out, { atol: 1e-5, rtol: 1e-5, what: `${label} out` });
  assertClose(f.lse, fx.lse, { atol: 1e-5, rtol: 1e-5, what: `${label} lse` });
  const g = runBackward(kern, fx, x, seg, f.out, f.lse);
  assertClose(g.dq, fx.dq, { atol: 1e-5, rtol: 1e-5, what: `${label} dq` });
  assertClose(g.dk, fx.dk, { atol: 1e-5, rtol: 1e-5, what: `${label} dk` });
  assertClose(g.dv, fx.dv, { atol: 1e-5, rtol: 1e-5, what: `${label} dv` });
}

test('PyTorch fixtures (GQA, and GQA with packed documents): out, lse, dq, dk, dv within 1e-5', () => {
  for (const name of ['gqa', 'gqa-packed']) {
    const fx = fixture(name);
    checkFixture(tsKernels, fx, `ts ${name}`);
    forEachNativePath((k, isa) => checkFixture(k, fx, `${isa} ${name}`));
  }
});

// ---- 2. native paths against the twin --------------------------------------------------------

const nativeShapes: Shape[] = [
  { B: 1, T: 1, Hq: 1, Hkv: 1, D: 1 },
  { B: 3, T: 7, Hq: 4, Hkv: 2, D: 7 },
  { B: 1, T: 7, Hq: 14, Hkv: 2, D: 1 },
  { B: 1, T: 129, Hq: 4, Hkv: 2, D: 64 },
  { B: 3, T: 129, Hq: 1, Hkv: 1, D: 7 },
  { B: 1, T: 129, Hq: 14, Hkv: 2, D: 128 },
  { B: 3, T: 1, Hq: 14, Hkv: 2, D: 64 },
  { B: 3, T: 70, Hq: 4, Hkv: 2, D: 128 },
  { B: 2, T: 65, Hq: 6, Hkv: 3, D: 17 },
];

const tol = { atol: 2e-5, rtol: 1e-4 };

test('native forward and backward match the TypeScript twin on every path (odd shapes, packed documents)', () => {
  if (!nativeKernels) return;
  for (const [i, s] of nativeShapes.entries()) {
    const x = inputs(s, 300 + i);
    if (i === nativeShapes.length - 1) x.scale = -0.7;  // any scale, even a negative one
    const segs = s.T > 1 ? [null, makeSeg(s.B, s.T, s.T > 64 ? 5 : 3, 40 + i)] : [null];
    for (const seg of segs) {
      const ref = runForward(tsKernels, s, x, seg);
      const refG = runBackward(tsKernels, s, x, seg, ref.out, ref.lse);
      const what = `${shapeName(s)}${seg ? ' seg' : ''}`;
      forEachNativePath((k, isa) => {
        const got = runForward(k, s, x, seg);
        assertClose(got.out, ref.out, { ...tol, what: `${isa} out ${what}` });
        assertClose(got.lse, ref.lse, { ...tol, what: `${isa} lse ${what}` });
        // Backward from the twin's out/lse, so only the backward is compared.
        const g = runBackward(k, s, x, seg, ref.out, ref.lse);
        assertClose(g.dq, refG.dq, { ...tol, what: `${isa} dq ${what}` });
        assertClose(g.dk, refG.dk, { ...tol, what: `${isa} dk ${what}` });
        assertClose(g.dv, refG.dv, { ...tol, what: `${isa} dv ${what}` });
      });
    }
  }
});

test('native results do not depend on the thread count', () => {
  if (!nativeKernels) return;
  const s: Shape = { B: 2, T: 150, Hq: 4, Hkv: 2, D: 16 };
  const x = inputs(s, 500);
  const seg = makeSeg(s.B, s.T, 4, 5);
  const before = nativeKernels.threads();
  // The pool as it is (usually several threads) against one other size: 1 thread, or 2 when the
  // pool already has one. (Only one pool is created here, and it has run jobs before it goes.)
  const a = runForward(nativeKernels, s, x, seg);
  const ag = runBackward(nativeKernels, s, x, seg, a.out, a.lse);
  try {
    nativeKernels.setThreads(before > 1 ? 1 : 2);
    const b = runForward(nativeKernels, s, x, seg);
    const bg = runBackward(nativeKernels, s, x, seg, b.out, b.lse);
    assert.deepEqual(b.out, a.out);
    assert.deepEqual(b.lse, a.lse);
    assert.deepEqual(bg.dq, ag.dq);
    assert.deepEqual(bg.dk, ag.dk);
    assert.deepEqual(bg.dv, ag.dv);
  } finally {
    nativeKernels.setThreads(before);
  }
});

/** KV cache [B,Hkv,maxT,D] from k/v [B,T,Hkv,D], NaN past T (must never be read). */
function toCache(s: Shape, x: Float32Array, maxT: number): Float32Array {
  const c = new Float32Array(s.B * s.Hkv * maxT * s.D).fill(NaN);
  for (let b = 0; b < s.B; b++)
    for (let t = 0; t < s.T; t++)
      for (let g = 0; g < s.Hkv; g++)
        for (let d = 0; d < s.D; d++) c[((b * s.Hkv + g) * maxT + t) * s.D + d] = x[((b * s.T + t) * s.Hkv + g) * s.D + d]!;
  return c;
}

test('decode equals the matching row of a full forward (TS twin and every native path)', () => {
  const shapes: Shape[] = [
    { B: 1, T: 1, Hq: 1, Hkv: 1, D: 1 },
    { B: 3, T: 7, Hq: 4, Hkv: 2, D: 7 },
    { B: 3, T: 129, Hq: 14, Hkv: 2, D: 64 },
    // Long enough for the native split-key path (chunks combined) when the pool has > 1 thread;
    // the shapes above (or B·Hkv >= 2·threads) take the single-chunk path.
    { B: 1, T: 700, Hq: 4, Hkv: 2, D: 128 },
  ];
  for (const [i, s] of shapes.entries()) {
    const x = inputs(s, 600 + i);
    const ref = runForward(tsKernels, s, x, null);
    const maxT = s.T + 3;
    const kc = toCache(s, x.k, maxT);
    const vc = toCache(s, x.v, maxT);
    const r = rng(70 + i);
    const lens = new Int32Array(s.B);
    for (let b = 0; b < s.B; b++) lens[b] = b === 0 ? s.T : 1 + Math.floor(r() * s.T);
    // The query of sequence b is its row lens[b]-1.
    const q = new Float32Array(s.B * s.Hq * s.D);
    const want = new Float32Array(s.B * s.Hq * s.D);
    for (let b = 0; b < s.B; b++) {
      const off = ((b * s.T + lens[b]! - 1) * s.Hq) * s.D;
      q.set(x.q.subarray(off, off + s.Hq * s.D), b * s.Hq * s.D);
      want.set(ref.out.subarray(off, off + s.Hq * s.D), b * s.Hq * s.D);
    }
    const run = (k: Kernels) => {
      const out = new Float32Array(s.B * s.Hq * s.D).fill(NaN);
      k.attentionDecode(s.B, s.Hq, s.Hkv, s.D, maxT, x.scale, q, kc, vc, lens, out);
      return out;
    };
    assertClose(run(tsKernels), want, { atol: 1e-6, rtol: 1e-6, what: `ts decode ${shapeName(s)}` });
    forEachNativePath((k, isa) => assertClose(run(k), want, { ...tol, what: `${isa} decode ${shapeName(s)}` }));
  }
});

// ---- 3. argument errors --------------------------------------------------------------------

function allKernels(): [string, Kernels][] {
  return nativeKernels ? [['ts', tsKernels], ['native', nativeKernels]] : [['ts', tsKernels]];
}

test('wrong lengths and types throw RangeError / TypeError, never crash', () => {
  const s: Shape = { B: 2, T: 5, Hq: 4, Hkv: 2, D: 3 };
  const x = inputs(s, 900);
  const nq = x.q.length, nk = x.k.length;
  for (const [name, k] of allKernels()) {
    const f = (over: Partial<Record<string, unknown>>) => () => {
      const a = {
        B: s.B, T: s.T, Hq: s.Hq, Hkv: s.Hkv, D: s.D, scale: x.scale, q: x.q, k: x.k, v: x.v, seg: null,
        out: new Float32Array(nq), lse: new Float32Array(s.B * s.Hq * s.T), ...over,
      } as unknown as Record<string, never>;
      k.attentionForward(a.B, a.T, a.Hq, a.Hkv, a.D, a.scale, a.q, a.k, a.v, a.seg, a.out, a.lse);
    };
    assert.throws(f({ q: new Float32Array(nq - 1) }), { name: 'RangeError', message: /attentionForward: q/ }, name);
    assert.throws(f({ k: new Float32Array(nk + 1) }), { name: 'RangeError', message: /attentionForward: k/ }, name);
    assert.throws(f({ lse: new Float32Array(3) }), { name: 'RangeError', message: /attentionForward: lse/ }, name);
    assert.throws(f({ v: new Float64Array(nk) }), { name: 'TypeError', message: /attentionForward: v/ }, name);
    assert.throws(f({ out: [] }), { name: 'TypeError', message: /attentionForward: out/ }, name);
    assert.throws(f({ seg: new Float32Array(s.B * s.T) }), { name: 'TypeError', message: /segStart/ }, name);
    assert.throws(f({ seg: new Int32Array(s.B * s.T - 1) }), { name: 'RangeError', message: /segStart/ }, name);
    assert.throws(f({ Hkv: 3 }), { name: 'RangeError', message: /multiple of Hkv/ }, name);
    assert.throws(f({ D: 0 }), { name: 'RangeError', message: /attentionForward: D/ }, name);
    assert.throws(f({ T: 2.5 }), { name: 'RangeError' }, name);
    assert.throws(f({ B: '2' }), { name: 'TypeError' }, name);
    assert.throws(f({ scale: undefined }), { name: 'TypeError', message: /scale/ }, name);

    const out = new Float32Array(nq), lse = new Float32Array(s.B * s.Hq * s.T);
    const bw = (over: Partial<Record<string, unknown>>) => () => {
      const a = {
        q: x.q, k: x.k, v: x.v, out, lse, dout: x.dout,
        dq: new Float32Array(nq), dk: new Float32Array(nk), dv: new Float32Array(nk), ...over,
      } as unknown as Record<string, never>;
      k.attentionBackward(s.B, s.T, s.Hq, s.Hkv, s.D, x.scale, a.q, a.k, a.v, null, a.out, a.lse, a.dout, a.dq, a.dk, a.dv);
    };
    assert.throws(bw({ dout: new Float32Array(nq + 3) }), { name: 'RangeError', message: /attentionBackward: dout/ }, name);
    assert.throws(bw({ dk: new Float32Array(nq) }), { name: 'RangeError', message: /attentionBackward: dk/ }, name);
    assert.throws(bw({ dv: new Int32Array(nk) }), { name: 'TypeError', message: /attentionBackward: dv/ }, name);
    assert.throws(bw({ lse: undefined }), { name: 'TypeError', message: /attentionBackward: lse/ }, name);

    const maxT = 6;
    const dec = (over: Partial<Record<string, unknown>>) => () => {
      const a = {
        q: new Float32Array(s.B * s.Hq * s.D), kc: new Float32Array(s.B * s.Hkv * maxT * s.D),
        vc: new Float32Array(s.B * s.Hkv * maxT * s.D), lens: Int32Array.from([1, maxT]),
        out: new Float32Array(s.B * s.Hq * s.D), ...over,
      } as unknown as Record<string, never>;
      k.attentionDecode(s.B, s.Hq, s.Hkv, s.D, maxT, x.scale, a.q, a.kc, a.vc, a.lens, a.out);
    };
    dec({})();  // the valid call works
    assert.throws(dec({ kc: new Float32Array(5) }), { name: 'RangeError', message: /attentionDecode: kCache/ }, name);
    assert.throws(dec({ lens: new Int32Array(3) }), { name: 'RangeError', message: /attentionDecode: lens/ }, name);
    assert.throws(dec({ lens: Float32Array.from([1, 2]) }), { name: 'TypeError', message: /attentionDecode: lens/ }, name);
    assert.throws(dec({ out: null }), { name: 'TypeError', message: /attentionDecode: out/ }, name);
  }
});

test('lens out of range and segStart out of range throw RangeError', () => {
  const s: Shape = { B: 2, T: 5, Hq: 2, Hkv: 1, D: 4 };
  const x = inputs(s, 901);
  for (const [name, k] of allKernels()) {
    const maxT = 6;
    const kc = new Float32Array(s.B * s.Hkv * maxT * s.D), vc = new Float32Array(kc.length);
    const q = new Float32Array(s.B * s.Hq * s.D), out = new Float32Array(q.length);
    for (const lens of [[0, 3], [3, maxT + 1], [-1, 2]]) {
      assert.throws(() => k.attentionDecode(s.B, s.Hq, s.Hkv, s.D, maxT, 1, q, kc, vc, Int32Array.from(lens), out),
        { name: 'RangeError', message: /lens\[\d\] = -?\d+ is out of range/ }, `${name} lens ${lens}`);
    }
    const o = new Float32Array(x.q.length), lse = new Float32Array(s.B * s.Hq * s.T);
    for (const [pos, bad] of [[3, 4], [7, -1], [5, 1], [0, 1]] as const) {
      const seg = new Int32Array(s.B * s.T);
      seg[pos] = bad;  // position pos % T of its sequence; bad > that position or < 0
      assert.throws(() => k.attentionForward(s.B, s.T, s.Hq, s.Hkv, s.D, x.scale, x.q, x.k, x.v, seg, o, lse),
        { name: 'RangeError', message: /segStart\[\d+\] = -?\d+ is out of range/ }, `${name} fwd seg[${pos}]=${bad}`);
      assert.throws(() => k.attentionBackward(s.B, s.T, s.Hq, s.Hkv, s.D, x.scale, x.q, x.k, x.v, seg, o, lse, x.q,
        new Float32Array(x.q.length), new Float32Array(x.k.length), new Float32Array(x.k.length)),
        { name: 'RangeError', message: /segStart/ }, `${name} bwd seg[${pos}]=${bad}`);
    }
  }
});
