// Sampling against brute force: the nucleus (top-p) and top-k sets and the renormalised
// probabilities inside them, checked on random logits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argmax, sampleToken } from '../src/generate/sampler.js';
import { seededRandom } from '../src/util/random.js';
import { randn } from './helpers.js';

function bruteForce(logits: Float32Array, temperature: number, topP: number, topK: number): Map<number, number> {
  const order = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b).slice(0, topK || logits.length);
  const max = logits[order[0]!]!;
  const p = order.map((i) => Math.exp((logits[i]! - max) / temperature));
  const total = topK ? p.reduce((a, b) => a + b, 0) : Array.from(logits).reduce((a, l) => a + Math.exp((l - max) / temperature), 0);
  let keep = order.length;
  let c = 0;
  for (let i = 0; i < order.length; i++) {
    c += p[i]! / total;
    if (c >= topP) { keep = i + 1; break; }
  }
  const kept = p.slice(0, keep).reduce((a, b) => a + b, 0);
  return new Map(order.slice(0, keep).map((id, i) => [id, p[i]! / kept]));
}

test('top-p, top-k and temperature sample exactly the brute-force distribution', () => {
  const logits = randn(5000, 11, 3);
  for (const [temperature, topP, topK] of [[1, 0.9, 0], [0.7, 0.5, 0], [1.3, 1, 20], [1, 0.8, 50]] as const) {
    const expected = bruteForce(logits, temperature, topP, topK);
    const random = seededRandom(5);
    const counts = new Map<number, number>();
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const t = sampleToken(logits, { temperature, topP, topK }, random);
      assert.ok(expected.has(t), `token ${t} is outside the allowed set (T=${temperature}, p=${topP}, k=${topK})`);
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    for (const [id, p] of expected) {
      if (p < 0.02) continue;
      const f = (counts.get(id) ?? 0) / n;
      assert.ok(Math.abs(f - p) < 4 * Math.sqrt(p * (1 - p) / n) + 1e-3, `token ${id}: frequency ${f.toFixed(4)} vs probability ${p.toFixed(4)}`);
    }
  }
  assert.equal(sampleToken(logits, { temperature: 0 }, Math.random), argmax(logits));
});
