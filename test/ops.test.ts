// The ops kernels (RMSNorm, RoPE, SwiGLU, cross-entropy, embedding, AdamW):
//  1. the TypeScript twins against PyTorch fixtures (scripts/fixtures/ops.py),
//  2. the TypeScript backward passes against central finite differences,
//  3. every native dispatch path against the TypeScript twin on odd shapes,
//  4. argument errors (both implementations, same messages, nothing written).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Kernels, Weights } from '../src/kernels/index.js';
import { assertClose, forEachNativePath, nativeKernels, randn, rng, toBf16, tsKernels } from './helpers.js';

const ts = tsKernels;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
function fixture(name: string): Json {
  return JSON.parse(readFileSync(new URL(`../../test/fixtures/ops/${name}.json`, import.meta.url), 'utf8'));
}
const F = (a: number[]) => Float32Array.from(a);
const I = (a: number[]) => Int32Array.from(a);

/** Random ids in [0, V), with some −100 when ignore is set (never all of them). */
function randIds(n: number, V: number, seed: number, ignore = false): Int32Array {
  const r = rng(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = ignore && i % 5 === 3 ? -100 : Math.floor(r() * V);
  return out;
}

/** Σ a∘b in float64. */
function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Central differences of L(input) at a few indices of `input` (perturbed in place, restored),
 * checked against `grad`. The step actually taken (after fp32 rounding) is the denominator.
 */
function checkFiniteDiff(
  what: string, input: Float32Array, grad: Float32Array, L: () => number, { h = 1e-2, tol = 2e-3, count = 12 } = {},
): void {
  const r = rng(input.length * 7 + 1);
  for (let c = 0; c < Math.min(count, input.length); c++) {
    const k = count >= input.length ? c : Math.floor(r() * input.length);
    const x0 = input[k]!;
    input[k] = x0 + h;
    const xp = input[k]!;
    const lp = L();
    input[k] = x0 - h;
    const xm = input[k]!;
    const lm = L();
    input[k] = x0;
    const fd = (lp - lm) / (xp - xm);
    const g = grad[k]!;
    assert.ok(Math.abs(fd - g) <= tol * (1 + Math.abs(g)), `${what}[${k}]: analytic ${g}, finite difference ${fd}`);
  }
}

// ------------------------------------------------------------------------------------------------
describe('ops: TypeScript twins vs PyTorch', () => {
  test('rmsnorm forward/backward (fp32 and bf16 weight)', () => {
    for (const c of fixture('rmsnorm').cases) {
      const weights: Weights[] = [F(c.w)];
      if (c.wBits) weights.push(Uint16Array.from(c.wBits));
      for (const w of weights) {
        const what = `rmsnorm ${c.N}x${c.C} ${w instanceof Uint16Array ? 'bf16' : 'fp32'}`;
        const x = F(c.x);
        const y = new Float32Array(c.N * c.C);
        const rstd = new Float32Array(c.N);
        ts.rmsnormForward(c.N, c.C, c.eps, x, w, y, rstd);
        assertClose(y, c.y, { what: `${what} y` });
        assertClose(rstd, c.rstd, { what: `${what} rstd` });
        const dx = new Float32Array(c.N * c.C);
        const dw = new Float32Array(c.C).fill(0.25); // accumulates
        ts.rmsnormBackward(c.N, c.C, x, w, rstd, F(c.dy), dx, dw);
        assertClose(dx, c.dx, { what: `${what} dx` });
        assertClose(dw, c.dw.map((v: number) => v + 0.25), { what: `${what} dw` });
        const dx2 = new Float32Array(c.N * c.C);
        ts.rmsnormBackward(c.N, c.C, x, w, rstd, F(c.dy), dx2, null);
        assertClose(dx2, dx, { what: `${what} dx (frozen w)`, atol: 0, rtol: 0 });
      }
    }
  });

  test('rope forward/backward (default and llama3-style tables)', () => {
    for (const c of fixture('rope').cases) {
      const x = F(c.x);
      ts.rope(c.N, c.H, c.D, x, I(c.positions), F(c.cos), F(c.sin), false);
      assertClose(x, c.y, { what: `rope ${c.kind} y` });
      const g = F(c.r);
      ts.rope(c.N, c.H, c.D, g, I(c.positions), F(c.cos), F(c.sin), true);
      assertClose(g, c.dx, { what: `rope ${c.kind} dx` });
    }
  });

  test('swiglu forward/backward (incl. |g| up to 100)', () => {
    const c = fixture('swiglu');
    const h = new Float32Array(c.n);
    ts.swigluForward(c.n, F(c.g), F(c.u), h);
    assertClose(h, c.h, { what: 'swiglu h' });
    const dg = new Float32Array(c.n);
    const du = new Float32Array(c.n);
    ts.swigluBackward(c.n, F(c.g), F(c.u), F(c.dh), dg, du);
    assertClose(dg, c.dg, { what: 'swiglu dg' });
    assertClose(du, c.du, { what: 'swiglu du' });
  });

  test('cross-entropy per token with ignore_index −100, forward/backward', () => {
    const c = fixture('crossentropy');
    const losses = new Float32Array(c.N).fill(NaN);
    const lse = new Float32Array(c.N);
    ts.crossEntropyForward(c.N, c.V, F(c.logits), I(c.targets), losses, lse);
    assertClose(losses, c.losses, { what: 'ce losses' });
    assertClose(lse, c.lse, { what: 'ce lse' });
    const dlogits = new Float32Array(c.N * c.V).fill(NaN);
    ts.crossEntropyBackward(c.N, c.V, F(c.logits), I(c.targets), lse, F(c.dloss), dlogits);
    assertClose(dlogits, c.dlogits, { what: 'ce dlogits' });
    const inPlace = F(c.logits);
    ts.crossEntropyBackward(c.N, c.V, inPlace, I(c.targets), lse, F(c.dloss), inPlace);
    assertClose(inPlace, dlogits, { what: 'ce dlogits in place', atol: 0, rtol: 0 });
  });

  test('embedding forward/backward with repeated ids (fp32 and bf16 table)', () => {
    const c = fixture('embedding');
    for (const table of [F(c.table), Uint16Array.from(c.tableBits)] as Weights[]) {
      const out = new Float32Array(c.N * c.C).fill(NaN);
      ts.embeddingForward(c.N, c.C, c.V, table, I(c.ids), out);
      assertClose(out, c.out, { what: 'embedding out', atol: 0, rtol: 0 });
    }
    const dtable = F(c.dtable0);
    ts.embeddingBackward(c.N, c.C, c.V, I(c.ids), F(c.dout), dtable);
    assertClose(dtable, c.dtable, { what: 'embedding dtable' });
  });

  test('adamw, five steps with weight decay, matches torch.optim.AdamW', () => {
    const c = fixture('adamw');
    const p = F(c.param0);
    const m = new Float32Array(c.n);
    const v = new Float32Array(c.n);
    for (const s of c.steps) {
      ts.adamw(c.n, p, F(s.grad), m, v, c.lr, c.beta1, c.beta2, c.eps, c.weightDecay, s.step);
      assertClose(m, s.m, { what: `adamw m step ${s.step}`, atol: 1e-7 });
      assertClose(v, s.v, { what: `adamw v step ${s.step}`, atol: 1e-9 });
      assertClose(p, s.param, { what: `adamw param step ${s.step}`, atol: 1e-6 });
    }
  });
});

// ------------------------------------------------------------------------------------------------
describe('ops: TypeScript backward vs finite differences', () => {
  test('rmsnorm dx, dw', () => {
    const N = 3, C = 10, eps = 1e-5;
    const x = randn(N * C, 1), w = randn(C, 2, 0.5), R = randn(N * C, 3);
    const y = new Float32Array(N * C), rstd = new Float32Array(N);
    const L = () => (ts.rmsnormForward(N, C, eps, x, w, y, rstd), dot(y, R));
    L();
    const dx = new Float32Array(N * C), dw = new Float32Array(C);
    ts.rmsnormBackward(N, C, x, w, rstd, R, dx, dw);
    checkFiniteDiff('rmsnorm dx', x, dx, L);
    checkFiniteDiff('rmsnorm dw', w, dw, L);
  });

  test('rope dx (inverse rotation)', () => {
    const N = 3, H = 2, D = 6, maxPos = 5;
    const x = randn(N * H * D, 4), R = randn(N * H * D, 5);
    const ang = randn(maxPos * D / 2, 6, 2);
    const cos = ang.map(Math.cos), sin = ang.map(Math.sin);
    const pos = I([4, 0, 2]);
    const L = () => {
      const y = x.slice();
      ts.rope(N, H, D, y, pos, cos, sin, false);
      return dot(y, R);
    };
    const dx = R.slice();
    ts.rope(N, H, D, dx, pos, cos, sin, true);
    checkFiniteDiff('rope dx', x, dx, L, { count: N * H * D });
  });

  test('swiglu dg, du', () => {
    const n = 20;
    const g = randn(n, 7, 3), u = randn(n, 8), R = randn(n, 9);
    const h = new Float32Array(n);
    const L = () => (ts.swigluForward(n, g, u, h), dot(h, R));
    const dg = new Float32Array(n), du = new Float32Array(n);
    ts.swigluBackward(n, g, u, R, dg, du);
    checkFiniteDiff('swiglu dg', g, dg, L, { count: n });
    checkFiniteDiff('swiglu du', u, du, L, { count: n });
  });

  test('cross-entropy dlogits (with an ignored row)', () => {
    const N = 4, V = 9;
    const logits = randn(N * V, 10, 2), targets = I([3, -100, 0, 8]), dloss = F([0.7, 1.3, 1.1, 0.4]);
    const losses = new Float32Array(N), lse = new Float32Array(N);
    const L = () => (ts.crossEntropyForward(N, V, logits, targets, losses, lse), dot(losses, dloss));
    L();
    const dlogits = new Float32Array(N * V);
    ts.crossEntropyBackward(N, V, logits, targets, lse, dloss, dlogits);
    checkFiniteDiff('ce dlogits', logits, dlogits, L, { count: N * V });
  });

  test('embedding dtable (repeated ids)', () => {
    const N = 6, C = 3, V = 4;
    const table = randn(V * C, 11), ids = I([1, 3, 1, 1, 0, 3]), R = randn(N * C, 12);
    const out = new Float32Array(N * C);
    const L = () => (ts.embeddingForward(N, C, V, table, ids, out), dot(out, R));
    const dtable = new Float32Array(V * C);
    ts.embeddingBackward(N, C, V, ids, R, dtable);
    checkFiniteDiff('embedding dtable', table, dtable, L, { count: V * C });
  });
});

// ------------------------------------------------------------------------------------------------
const Ns = [1, 7, 129];
const Cs = [1, 7, 64, 129, 896];
const native = nativeKernels !== null;

describe('ops: every native path vs the TypeScript twin', { skip: !native && 'native addon not built' }, () => {
  test('rmsnorm forward/backward, fp32 and bf16 weights', () => {
    for (const N of Ns) {
      for (const C of Cs) {
        const x = randn(N * C, N * 1000 + C, 2);
        const dy = randn(N * C, N * 1000 + C + 1);
        const wf = randn(C, C + 5, 0.3).map((v) => v + 1);
        for (const w of [wf, toBf16(wf)] as Weights[]) {
          const tag = `${N}x${C} ${w instanceof Uint16Array ? 'bf16' : 'fp32'}`;
          const y0 = new Float32Array(N * C), r0 = new Float32Array(N);
          ts.rmsnormForward(N, C, 1e-6, x, w, y0, r0);
          const dx0 = new Float32Array(N * C), dw0 = randn(C, 77);
          ts.rmsnormBackward(N, C, x, w, r0, dy, dx0, dw0);
          forEachNativePath((k, isa) => {
            const y = new Float32Array(N * C).fill(NaN), r = new Float32Array(N).fill(NaN);
            k.rmsnormForward(N, C, 1e-6, x, w, y, r);
            assertClose(y, y0, { what: `${isa} rmsnorm ${tag} y`, atol: 1e-6 });
            assertClose(r, r0, { what: `${isa} rmsnorm ${tag} rstd`, atol: 0 });
            const dx = new Float32Array(N * C).fill(NaN), dw = randn(C, 77);
            k.rmsnormBackward(N, C, x, w, r0, dy, dx, dw);
            assertClose(dx, dx0, { what: `${isa} rmsnorm ${tag} dx`, atol: 1e-5 });
            assertClose(dw, dw0, { what: `${isa} rmsnorm ${tag} dw`, atol: 1e-5 });
            const dx2 = new Float32Array(N * C).fill(NaN);
            k.rmsnormBackward(N, C, x, w, r0, dy, dx2, null);
            assertClose(dx2, dx, { what: `${isa} rmsnorm ${tag} dx (frozen)`, atol: 0, rtol: 0 });
          });
        }
      }
    }
  });

  test('rmsnorm backward: dw has the same bits on 1, 2 and 3 threads', { skip: !nativeKernels && 'native addon not built' }, () => {
    // Full finetuning (pretraining) must reproduce on any thread count, not only SEAL_THREADS=1.
    const native = nativeKernels!;
    const before = native.threads();
    const N = 2000, C = 64;
    const x = randn(N * C, 11, 2), dy = randn(N * C, 12), w = randn(C, 13, 0.3).map((v) => v + 1);
    const r = new Float32Array(N);
    ts.rmsnormForward(N, C, 1e-6, x, w, new Float32Array(N * C), r);
    try {
      forEachNativePath((k, isa) => {
        const dws = [1, 2, 3].map((threads) => {
          native.setThreads(threads);
          const dw = new Float32Array(C);
          k.rmsnormBackward(N, C, x, w, r, dy, new Float32Array(N * C), dw);
          return dw;
        });
        for (const dw of dws.slice(1)) assertClose(dw, dws[0]!, { what: `${isa} rmsnorm dw across thread counts`, atol: 0, rtol: 0 });
      });
    } finally {
      native.setThreads(before);
    }
  });

  test('rope forward/inverse', () => {
    for (const N of Ns) {
      for (const H of [1, 3]) {
        for (const D of [2, 14, 64, 128, 258]) {
          const half = D / 2, maxPos = 150;
          const ang = randn(maxPos * half, D * 31 + H, 3);
          const cos = ang.map(Math.cos), sin = ang.map(Math.sin);
          const pos = randIds(N, maxPos, N + D);
          const x = randn(N * H * D, N * 7 + D);
          for (const inverse of [false, true]) {
            const want = x.slice();
            ts.rope(N, H, D, want, pos, cos, sin, inverse);
            forEachNativePath((k, isa) => {
              const got = x.slice();
              k.rope(N, H, D, got, pos, cos, sin, inverse);
              assertClose(got, want, { what: `${isa} rope ${N}x${H}x${D} inverse=${inverse}`, atol: 1e-6 });
              if (!inverse) {
                k.rope(N, H, D, got, pos, cos, sin, true);
                assertClose(got, x, { what: `${isa} rope round trip`, atol: 1e-5 });
              }
            });
          }
        }
      }
    }
  });

  test('swiglu forward/backward incl. extreme gates', () => {
    for (const n of [1, 7, 64, 129, 896, 129 * 896]) {
      const g = randn(n, n, 4);
      const special = [-1000, -100, -88.8, -87, -20, -1e-6, 0, 1e-6, 20, 88.8, 100, 1000];
      for (let i = 0; i < Math.min(n, special.length); i++) g[(i * 37) % n] = special[i]!;
      const u = randn(n, n + 1), dh = randn(n, n + 2);
      const h0 = new Float32Array(n), dg0 = new Float32Array(n), du0 = new Float32Array(n);
      ts.swigluForward(n, g, u, h0);
      ts.swigluBackward(n, g, u, dh, dg0, du0);
      forEachNativePath((k, isa) => {
        const h = new Float32Array(n).fill(NaN), dg = new Float32Array(n).fill(NaN), du = new Float32Array(n).fill(NaN);
        k.swigluForward(n, g, u, h);
        k.swigluBackward(n, g, u, dh, dg, du);
        assertClose(h, h0, { what: `${isa} swiglu n=${n} h`, atol: 1e-6 });
        assertClose(dg, dg0, { what: `${isa} swiglu n=${n} dg`, atol: 1e-6 });
        assertClose(du, du0, { what: `${isa} swiglu n=${n} du`, atol: 1e-6 });
      });
    }
  });

  function checkCrossEntropy(N: number, V: number, scale: number, seed: number): void {
    const logits = randn(N * V, seed, scale);
    const targets = randIds(N, V, seed + 1, true);
    const dloss = randn(N, seed + 2).map((v) => 1 + 0.5 * v);
    const losses0 = new Float32Array(N), lse0 = new Float32Array(N), dl0 = new Float32Array(N * V);
    ts.crossEntropyForward(N, V, logits, targets, losses0, lse0);
    ts.crossEntropyBackward(N, V, logits, targets, lse0, dloss, dl0);
    forEachNativePath((k, isa) => {
      const tag = `${isa} ce ${N}x${V}`;
      const losses = new Float32Array(N).fill(NaN), lse = new Float32Array(N).fill(NaN);
      k.crossEntropyForward(N, V, logits, targets, losses, lse);
      assertClose(lse, lse0, { what: `${tag} lse`, atol: 1e-6 });
      assertClose(losses, losses0, { what: `${tag} losses`, atol: 2e-6 });
      const dl = new Float32Array(N * V).fill(NaN);
      k.crossEntropyBackward(N, V, logits, targets, lse0, dloss, dl);
      assertClose(dl, dl0, { what: `${tag} dlogits`, atol: 1e-7 });
      const inPlace = logits.slice();
      k.crossEntropyBackward(N, V, inPlace, targets, lse0, dloss, inPlace);
      assertClose(inPlace, dl, { what: `${tag} dlogits in place`, atol: 0, rtol: 0 });
    });
  }

  test('cross-entropy forward/backward (in place too), odd shapes', () => {
    for (const N of Ns) for (const V of Cs) checkCrossEntropy(N, V, 3, N * 10000 + V);
  });

  test('cross-entropy: masked (−inf) logits and a max that rises block after block', () => {
    const N = 3, V = 5000;
    const logits = randn(N * V, 17, 2);
    for (let j = 0; j < 3000; j++) logits[j] = -Infinity; // row 0: leading −inf
    logits[V + 4321] = -Infinity;
    for (let j = 0; j < V; j++) logits[2 * V + j] = j * 0.004 - 10; // row 2: max at the end
    const targets = I([4000, 7, V - 1]), dloss = F([1, 0.5, 2]);
    const losses0 = new Float32Array(N), lse0 = new Float32Array(N), dl0 = new Float32Array(N * V);
    ts.crossEntropyForward(N, V, logits, targets, losses0, lse0);
    ts.crossEntropyBackward(N, V, logits, targets, lse0, dloss, dl0);
    assert.ok(losses0.every(Number.isFinite));
    forEachNativePath((k, isa) => {
      const losses = new Float32Array(N), lse = new Float32Array(N), dl = new Float32Array(N * V);
      k.crossEntropyForward(N, V, logits, targets, losses, lse);
      k.crossEntropyBackward(N, V, logits, targets, lse0, dloss, dl);
      assertClose(lse, lse0, { what: `${isa} ce masked lse`, atol: 1e-6 });
      assertClose(losses, losses0, { what: `${isa} ce masked losses`, atol: 2e-6 });
      assertClose(dl, dl0, { what: `${isa} ce masked dlogits`, atol: 1e-7 });
    });
  });

  test('cross-entropy at the Qwen vocabulary (V = 151936)', () => {
    checkCrossEntropy(5, 151936, 2, 42);
  });

  test('embedding forward/backward, fp32 and bf16 tables', () => {
    const V = 50;
    for (const N of Ns) {
      for (const C of Cs) {
        const tf = randn(V * C, C + 3);
        const ids = randIds(N, V, N + C);
        const dout = randn(N * C, N * 3 + C);
        const dt0 = randn(V * C, 99, 0.1);
        ts.embeddingBackward(N, C, V, ids, dout, dt0);
        for (const table of [tf, toBf16(tf)] as Weights[]) {
          const out0 = new Float32Array(N * C);
          ts.embeddingForward(N, C, V, table, ids, out0);
          forEachNativePath((k, isa) => {
            const out = new Float32Array(N * C).fill(NaN);
            k.embeddingForward(N, C, V, table, ids, out);
            assertClose(out, out0, { what: `${isa} embedding ${N}x${C}`, atol: 0, rtol: 0 });
          });
        }
        forEachNativePath((k, isa) => {
          const dt = randn(V * C, 99, 0.1);
          k.embeddingBackward(N, C, V, ids, dout, dt);
          // Same summation order as the sequential loop: bit-identical.
          assertClose(dt, dt0, { what: `${isa} embedding backward ${N}x${C}`, atol: 0, rtol: 0 });
        });
      }
    }
  });

  test('adamw, several steps', () => {
    for (const n of [1, 7, 129, 896, 50001]) {
      const p0 = randn(n, n), m0 = new Float32Array(n), v0 = new Float32Array(n);
      const grads = [1, 2, 3, 4].map((s) => randn(n, n * 10 + s, s === 3 ? 1e-4 : 0.1));
      const hp = [2e-3, 0.9, 0.999, 1e-8, 0.01] as const;
      grads.forEach((g, s) => ts.adamw(n, p0, g, m0, v0, ...hp, s + 1));
      forEachNativePath((k, isa) => {
        const p = randn(n, n), m = new Float32Array(n), v = new Float32Array(n);
        grads.forEach((g, s) => k.adamw(n, p, g, m, v, ...hp, s + 1));
        // The SIMD paths may fuse a multiply-add the TS twin rounds twice (so does torch's own
        // vectorised add_): a few ulps of the terms, amplified where β1·m and (1−β1)·g cancel.
        assertClose(p, p0, { what: `${isa} adamw n=${n} param`, atol: 1e-7, rtol: 1e-6 });
        assertClose(m, m0, { what: `${isa} adamw n=${n} m`, atol: 1e-8, rtol: 1e-6 });
        assertClose(v, v0, { what: `${isa} adamw n=${n} v`, atol: 1e-10, rtol: 1e-6 });
      });
    }
  });

  test('add and scale: the same bits as the TS twin, in place too (bigger than one thread\'s share)', () => {
    for (const n of [1, 7, 129, 896, 600_001]) {
      const a = randn(n, n + 1), b = randn(n, n + 2, 1e-3);
      const sum = new Float32Array(n), scaled = new Float32Array(n);
      ts.add(n, a, b, sum);
      ts.scale(n, a, 0.1, scaled);
      // The TS twin's a[i] + b[i] and x[i]·fround(s) are rounded once to fp32: exact fp32 arithmetic.
      assert.equal(sum[3 % n], Math.fround(a[3 % n]! + b[3 % n]!));
      assert.equal(scaled[5 % n], Math.fround(a[5 % n]! * Math.fround(0.1)));
      forEachNativePath((k, isa) => {
        const got = new Float32Array(n);
        k.add(n, a, b, got);
        assert.deepEqual(got, sum, `${isa} add n=${n}`);
        const inPlace = a.slice();
        k.add(n, inPlace, b, inPlace);
        assert.deepEqual(inPlace, sum, `${isa} add in place n=${n}`);
        inPlace.set(a);
        k.scale(n, inPlace, 0.1, inPlace);
        assert.deepEqual(inPlace, scaled, `${isa} scale in place n=${n}`);
      });
    }
    for (const k of [ts, nativeKernels!]) {
      assert.throws(() => k.add(4, new Float32Array(4), new Float32Array(3), new Float32Array(4)), /add: b/);
      assert.throws(() => k.scale(4, new Float32Array(4), 2, new Float32Array(5)), /scale: out/);
    }
  });

  test('1 thread and the full pool agree', () => {
    const k = nativeKernels!;
    const before = k.threads();
    const run = () => {
      const N = 64, V = 4099, C = 896;
      const logits = randn(N * V, 5, 3), targets = randIds(N, V, 6, true);
      const losses = new Float32Array(N), lse = new Float32Array(N);
      k.crossEntropyForward(N, V, logits, targets, losses, lse);
      k.crossEntropyBackward(N, V, logits, targets, lse, new Float32Array(N).fill(1), logits);
      const x = randn(N * C, 7), w = randn(C, 8), y = new Float32Array(N * C), r = new Float32Array(N);
      k.rmsnormForward(N, C, 1e-6, x, w, y, r);
      const dx = new Float32Array(N * C), dw = new Float32Array(C);
      k.rmsnormBackward(N, C, x, w, r, y, dx, dw);
      return [losses, logits, y, dx, dw];
    };
    try {
      k.setThreads(1);
      const one = run();
      k.setThreads(Math.max(2, before));
      const many = run();
      one.forEach((a, i) => assertClose(many[i]!, a, { what: `threads output ${i}`, atol: 1e-6 }));
    } finally {
      k.setThreads(before);
    }
  });
});

// ------------------------------------------------------------------------------------------------
describe('ops: argument errors', () => {
  const impls: [string, Kernels][] = [['ts', ts]];
  if (nativeKernels) impls.push(['native', nativeKernels]);

  /** Runs fn on every implementation; each must throw `type` with a message matching `re`, all the same message. */
  function throwsAll(
    type: typeof RangeError | typeof TypeError, re: RegExp, fn: (k: Kernels) => void, sameMessage = true,
  ): void {
    const messages: string[] = [];
    for (const [name, k] of impls) {
      assert.throws(() => fn(k), (err: Error) => {
        assert.ok(err instanceof type, `${name}: expected ${type.name}, got ${err}`);
        assert.match(err.message, re, `${name}`);
        messages.push(err.message);
        return true;
      });
    }
    if (sameMessage) assert.ok(messages.every((m) => m === messages[0]), `messages differ: ${JSON.stringify(messages)}`);
  }
  const f = (n: number) => new Float32Array(n);

  test('wrong lengths and types name the argument', () => {
    // (Integer-argument messages format the number differently in C++, so only their start is compared.)
    throwsAll(RangeError, /rmsnormForward: x has 11 elements, expected 12/, (k) => k.rmsnormForward(3, 4, 1e-6, f(11), f(4), f(12), f(3)));
    throwsAll(TypeError, /rmsnormForward: w must be/, (k) => k.rmsnormForward(3, 4, 1e-6, f(12), new Float64Array(4) as unknown as Float32Array, f(12), f(3)));
    throwsAll(RangeError, /rmsnormForward: w has 5/, (k) => k.rmsnormForward(3, 4, 1e-6, f(12), new Uint16Array(5), f(12), f(3)));
    throwsAll(TypeError, /rmsnormForward: eps must be a number/, (k) => k.rmsnormForward(3, 4, '1' as unknown as number, f(12), f(4), f(12), f(3)));
    throwsAll(RangeError, /rmsnormBackward: dw has 3/, (k) => k.rmsnormBackward(3, 4, f(12), f(4), f(3), f(12), f(12), f(3)));
    throwsAll(RangeError, /rope: D must be even/, (k) => k.rope(1, 1, 3, f(3), I([0]), f(3), f(3), false));
    throwsAll(RangeError, /rope: cos has 5 elements, expected a multiple of D\/2 = 2/, (k) => k.rope(1, 1, 4, f(4), I([0]), f(5), f(5), false));
    throwsAll(RangeError, /rope: sin has 6/, (k) => k.rope(1, 1, 4, f(4), I([0]), f(4), f(6), false));
    throwsAll(TypeError, /rope: positions must be a Int32Array/, (k) => k.rope(1, 1, 4, f(4), f(1) as unknown as Int32Array, f(4), f(4), false));
    throwsAll(TypeError, /rope: inverse must be a boolean/, (k) => k.rope(1, 1, 4, f(4), I([0]), f(4), f(4), 1 as unknown as boolean));
    throwsAll(TypeError, /swigluForward: h must be a Float32Array/, (k) => k.swigluForward(2, f(2), f(2), new Int32Array(2) as unknown as Float32Array));
    throwsAll(RangeError, /swigluBackward: du has 1/, (k) => k.swigluBackward(2, f(2), f(2), f(2), f(2), f(1)));
    throwsAll(RangeError, /crossEntropyForward: logits has 9/, (k) => k.crossEntropyForward(2, 5, f(9), I([0, 1]), f(2), f(2)));
    throwsAll(RangeError, /crossEntropyBackward: dlogits has 11/, (k) => k.crossEntropyBackward(2, 5, f(10), I([0, 1]), f(2), f(2), f(11)));
    throwsAll(RangeError, /embeddingForward: table has 10/, (k) => k.embeddingForward(1, 3, 4, f(10), I([0]), f(3)));
    throwsAll(RangeError, /embeddingBackward: dtable has 13/, (k) => k.embeddingBackward(1, 3, 4, I([0]), f(3), f(13)));
    throwsAll(RangeError, /adamw: v has 2/, (k) => k.adamw(3, f(3), f(3), f(3), f(2), 1e-3, 0.9, 0.999, 1e-8, 0, 1));
    throwsAll(RangeError, /adamw: step must be an integer in \[1,/, (k) => k.adamw(3, f(3), f(3), f(3), f(3), 1e-3, 0.9, 0.999, 1e-8, 0, 0), false);
    throwsAll(TypeError, /adamw: lr must be a number/, (k) => k.adamw(3, f(3), f(3), f(3), f(3), null as unknown as number, 0.9, 0.999, 1e-8, 0, 1));
    throwsAll(RangeError, /swigluForward: n must be an integer/, (k) => k.swigluForward(-1, f(0), f(0), f(0)), false);
  });

  test('out-of-range ids, targets and positions are RangeErrors, and nothing is written', () => {
    for (const bad of [5, -1, -101, 2 ** 31 - 1]) {
      const losses = f(3).fill(7);
      throwsAll(RangeError, new RegExp(`crossEntropyForward: targets\\[2\\] = ${bad} is outside \\[0, 5\\) and is not -100`),
        (k) => k.crossEntropyForward(3, 5, f(15), I([0, -100, bad]), losses, f(3)));
      assert.deepEqual([...losses], [7, 7, 7]);
      const dl = f(15).fill(7);
      throwsAll(RangeError, /crossEntropyBackward: targets\[2\]/, (k) => k.crossEntropyBackward(3, 5, f(15), I([0, -100, bad]), f(3), f(3), dl));
      assert.ok(dl.every((v) => v === 7));
      const out = f(6).fill(7);
      throwsAll(RangeError, new RegExp(`embeddingForward: ids\\[1\\] = ${bad} is outside \\[0, 5\\)$`),
        (k) => k.embeddingForward(2, 3, 5, f(15), I([0, bad]), out));
      assert.ok(out.every((v) => v === 7));
      throwsAll(RangeError, /embeddingBackward: ids\[1\]/, (k) => k.embeddingBackward(2, 3, 5, I([0, bad]), f(6), f(15)));
    }
    // −100 is only "ignore" for cross-entropy targets.
    throwsAll(RangeError, /embeddingForward: ids\[0\] = -100/, (k) => k.embeddingForward(1, 3, 5, f(15), I([-100]), f(3)));
    // Positions must index a row of the cos/sin tables (here 3 rows of D/2 = 2).
    for (const bad of [3, -1]) {
      const x = f(8).fill(1);
      throwsAll(RangeError, new RegExp(`rope: positions\\[1\\] = ${bad} is outside \\[0, 3\\)`),
        (k) => k.rope(2, 1, 4, x, I([2, bad]), f(6), f(6), false));
      assert.ok(x.every((v) => v === 1), 'rope wrote before failing');
    }
  });
});
