// The `seal` command line, run as a user runs it (a child process), on the real stories260K model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/seal.js', import.meta.url));
const stories = fileURLToPath(new URL('../../../shared/models/stories260K', import.meta.url));
const expected = JSON.parse(readFileSync(join(stories, 'expected.json'), 'utf8'));

function seal(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function lastJson(stdout: string): any {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!);
}

test('seal info names the kernel path and thread count', () => {
  const r = seal('info', '--json');
  assert.equal(r.code, 0, r.stderr);
  const info = lastJson(r.stdout);
  assert.match(info.path, /^(native-(avx512|avx2|scalar)|ts)$/);
  assert.ok(info.threads >= 1);
  const text = seal('info');
  assert.match(text.stdout, /kernels: /);
  assert.match(text.stdout, /threads: \d+/);
});

test('seal generate --json: greedy continuation of the prompt, and from BOS on an empty prompt', () => {
  const n = expected.greedy_prompt_continuation_ids.length;
  const r = seal('generate', '--model', stories, '--prompt', expected.prompt, '--max-new-tokens', String(n), '--temperature', '0', '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = lastJson(r.stdout);
  assert.deepEqual(out.tokens, expected.greedy_prompt_continuation_ids);
  assert.equal(out.text, expected.greedy_prompt_continuation_text);
  const empty = lastJson(seal('generate', '--model', stories, '--prompt', '', '--max-new-tokens', '16', '--json').stdout);
  assert.deepEqual(empty.tokens, expected.greedy_from_bos_ids.slice(0, 16));
  const streamed = seal('generate', '--model', stories, '--prompt', expected.prompt, '--max-new-tokens', String(n));
  assert.equal(streamed.stdout.trim(), expected.greedy_prompt_continuation_text.trim());
});

test('seal score --json: every token with its log-prob (BOS null) and the mean loss', () => {
  const r = seal('score', '--model', stories, '--text', expected.prompt, '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = lastJson(r.stdout);
  assert.deepEqual(out.tokens.map((t: { id: number }) => t.id), [1, ...expected.prompt_ids]);
  assert.equal(out.tokens[0].logprob, null);
  const lps = out.tokens.slice(1).map((t: { logprob: number }) => t.logprob);
  assert.ok(lps.every((x: number) => x <= 0));
  assert.ok(Math.abs(out.loss + lps.reduce((a: number, b: number) => a + b, 0) / lps.length) < 1e-6);
});

test('seal finetune --json trains an adapter that generate and score then use', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seal-cli-'));
  const data = join(dir, 'data.jsonl');
  writeFileSync(data, [
    JSON.stringify({ text: 'Tom had a green frog named Pip.' }),
    JSON.stringify({ prompt: 'Tom had a green', completion: ' frog named Pip.' }),
  ].join('\n'));
  const out = join(dir, 'adapter');
  const r = seal('finetune', '--model', stories, '--data', data, '--out', out, '--steps', '30', '--lr', '1e-2',
    '--rank', '4', '--alpha', '8', '--targets', 'q_proj,v_proj,up_proj', '--schedule', 'constant', '--json');
  assert.equal(r.code, 0, r.stderr);
  const report = lastJson(r.stdout);
  assert.equal(report.steps.length, 30);
  assert.ok(report.steps[29].loss < report.steps[0].loss / 2, `loss ${report.steps[0].loss} → ${report.steps[29].loss}`);
  assert.ok(report.tokensPerSecond > 0 && report.peakRssBytes > 0);
  assert.ok(existsSync(join(out, 'adapter_config.json')) && existsSync(join(out, 'adapter_model.safetensors')));
  const before = lastJson(seal('score', '--model', stories, '--text', 'Tom had a green frog named Pip.', '--json').stdout);
  const after = lastJson(seal('score', '--model', stories, '--adapter', out, '--text', 'Tom had a green frog named Pip.', '--json').stdout);
  assert.ok(after.loss < before.loss, `adapter lowers the loss of its training text: ${before.loss} → ${after.loss}`);
  const gen = lastJson(seal('generate', '--model', stories, '--adapter', out, '--prompt', 'Tom had a green', '--max-new-tokens', '5', '--json').stdout);
  assert.match(gen.text, /frog/);
});

test('bad input gives a clear error and a non-zero exit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seal-cli-bad-'));
  const data = join(dir, 'bad.jsonl');
  writeFileSync(data, '{"text": "fine"}\n{"text": oops}\n');
  const r = seal('finetune', '--model', stories, '--data', data, '--out', join(dir, 'a'), '--steps', '1');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /bad\.jsonl:2: malformed JSON/);
  assert.equal(seal('frobnicate').code, 2);
  const flag = seal('generate', '--model', stories, '--prompt', 'x', '--temperature', 'hot');
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /--temperature must be a number/);
  const missing = seal('generate', '--model', join(dir, 'nowhere'), '--prompt', 'x');
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /nowhere\/config\.json: cannot read/);
});
