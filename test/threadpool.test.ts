// The native thread pool under stress: many short jobs back to back (the decode pattern), with
// the pool rebuilt at other sizes in between. A race here shows up as a hang, a crash or a wrong
// result, so every call's output is compared with the first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeKernels, stressNativePool } from '../src/kernels/index.js';
import { randn } from './helpers.js';

test('50,000 short parallel jobs give identical results and never hang', { skip: !nativeKernels && 'native addon not built', timeout: 120_000 }, () => {
  const k = nativeKernels!;
  const B = 1, Hq = 4, Hkv = 1, D = 16, maxT = 600;
  const q = randn(B * Hq * D, 1);
  const kc = randn(B * Hkv * maxT * D, 2);
  const vc = randn(B * Hkv * maxT * D, 3);
  const lens = Int32Array.of(580);
  const first = new Float32Array(B * Hq * D);
  k.attentionDecode(B, Hq, Hkv, D, maxT, 0.25, q, kc, vc, lens, first);
  const out = new Float32Array(first.length);
  const x = randn(512 * 128, 4);
  const w = randn(128, 5);
  const y0 = new Float32Array(512 * 128);
  const y = new Float32Array(512 * 128);
  const r0 = new Float32Array(512);
  k.rmsnormForward(512, 128, 1e-6, x, w, y0, r0);
  const original = k.threads();
  try {
    for (let i = 0; i < 50_000; i++) {
      if (i % 10_000 === 5_000) {
        // Another pool size may split work differently (other rounding): new references.
        k.setThreads(1 + (i / 10_000 | 0) % 3);
        k.attentionDecode(B, Hq, Hkv, D, maxT, 0.25, q, kc, vc, lens, first);
        k.rmsnormForward(512, 128, 1e-6, x, w, y0, r0);
      }
      k.attentionDecode(B, Hq, Hkv, D, maxT, 0.25, q, kc, vc, lens, out);
      k.rmsnormForward(512, 128, 1e-6, x, w, y, r0);
      if (i % 997 === 0) {
        assert.deepEqual(out, first, `decode result changed at call ${i}`);
        assert.deepEqual(y, y0, `rmsnorm result changed at call ${i}`);
      }
    }
  } finally {
    k.setThreads(original);
  }
});

test('2,000,000 random short jobs: every job runs exactly its tasks, none hangs', { skip: !nativeKernels && 'native addon not built', timeout: 120_000 }, () => {
  assert.equal(stressNativePool(2_000_000), 0);
});
