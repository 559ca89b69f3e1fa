// Knowledge incorporation against the spec (knowledge.md): training sequences from self-edits,
// SQuAD grading, the judge's verdict rule, the official passage selection; and the whole recipe end
// to end on a seconds-long model, including resume after kill -9.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTrainSequences } from '../src/tasks/knowledge/sequences.js';
import { exactMatch, firstLine, judgeVerdict, normalizeAnswer, tokenF1 } from '../src/tasks/knowledge/grade.js';
import { readPassages, selectPassages } from '../src/tasks/knowledge/data.js';
import { implicationsPrompt, qaPrompt, selfEditPrompt } from '../src/tasks/knowledge/prompts.js';
import { loadKnowledgeConfig } from '../src/recipes/knowledge-config.js';
import { loadKnowledgeData } from '../src/recipes/knowledge.js';
import { KnowledgeTask } from '../src/tasks/knowledge/task.js';

const bin = fileURLToPath(new URL('../../bin/seal.js', import.meta.url));
const squad = fileURLToPath(new URL('../../../shared/data/squad/', import.meta.url));

test('self-edit → training sequences follows §3 (lines, preamble, ---, self-QA) and §13 (empty = passage only)', () => {
  const ctx = ' The passage. ';
  assert.deepEqual(buildTrainSequences('Here are the implications:\n1. A is B.\n\n2. C is D.\n', ctx, 'T', true),
    ['T\n1. A is B.', 'T\n2. C is D.', 'T\nThe passage.']);
  assert.deepEqual(buildTrainSequences('First.\nSecond.', ctx, 'T', true), ['T\nFirst.', 'T\nSecond.', 'T\nThe passage.']);
  assert.deepEqual(buildTrainSequences('one\ntwo --- three', ctx, 'T', false), ['T\none\ntwo', 'T\nthree', 'T\nThe passage.']);
  assert.deepEqual(buildTrainSequences('What is A?\nAnswer: B\nQuestion 2: What is C?\nAnswer: D', ctx, 'T', true),
    ['T\nQuestion 1: What is A?\nAnswer: B', 'T\nQuestion 2: What is C?\nAnswer: D', 'T\nThe passage.']);
  assert.deepEqual(buildTrainSequences('  ', ctx, 'T', true), ['T\nThe passage.']);
});

test('prompts are the official templates, filled like str.format', () => {
  assert.equal(implicationsPrompt('Genghis Khan', 'Some {text}.'),
    "Let's read the following passage and produce a list of implications derived directly or indirectly from the content.\n\nPassage:\nGenghis Khan\nSome {text}.\n\nImplications:\n");
  assert.equal(qaPrompt('Genghis Khan', "What metal was used in Inalchuq's execution?"),
    "Let's answer a question directly and concisely.\nQuestion: Topic: Genghis Khan\nWhat metal was used in Inalchuq's execution?\nAnswer:\n");
  assert.ok(selfEditPrompt('self-qa', 'T', 'C').endsWith('\n\nQuestion 1: '));
  assert.ok(selfEditPrompt('rewrite', 'T', 'C').endsWith('Rewritten passages:\n'));
});

test('SQuAD normalisation, exact match and token F1 give the official script\'s values', () => {
  assert.equal(normalizeAnswer('The  Denver Broncos!'), 'denver broncos');
  assert.ok(exactMatch('the Denver Broncos', 'Denver Broncos.'));
  assert.ok(!exactMatch('Denver', 'Denver Broncos'));
  assert.equal(tokenF1('Denver', 'Denver Broncos'), 2 / 3);
  assert.equal(tokenF1('Carolina Panthers won', 'Denver Broncos'), 0);
  assert.equal(tokenF1('a the', 'an'), 1);
  assert.equal(firstLine('  Paris\nand more'), 'Paris');
});

test('judge verdicts: whole-word yes and no whole-word no', () => {
  assert.equal(judgeVerdict('Yes'), true);
  assert.equal(judgeVerdict('yes, correct.'), true);
  assert.equal(judgeVerdict('No'), false);
  assert.equal(judgeVerdict('yes and no'), false);
  assert.equal(judgeVerdict('Eyes'), false);
  assert.equal(judgeVerdict(''), false);
});

test('passage selection reproduces the paper\'s 200 evaluation passages (Python random.seed(42) shuffle)', () => {
  const passages = readPassages(join(squad, 'squad_val.json'));
  assert.equal(passages.length, 2067);
  const chosen = selectPassages(passages, 200);
  const expectedFirst = [1168, 760, 685, 1193, 1679, 1572, 1257, 522, 137, 2032, 1054, 304, 827, 1483, 1822];
  assert.deepEqual(chosen.slice(0, 15).map((p) => Number(p.id.split('#')[1])), expectedFirst);
  assert.deepEqual(chosen.slice(0, 3).map((p) => p.title), ['Genghis Khan', 'European Union law', '1973 oil crisis']);
  assert.equal(chosen.reduce((n, p) => n + p.questions.length, 0), 974);
  // The eval200 file holds the same passages in the same order.
  const eval200 = readPassages(join(squad, 'squad_eval200.json'));
  assert.deepEqual(eval200.map((p) => p.context), chosen.map((p) => p.context));
});

test('bad data and config files name the file and field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seal-kbad-'));
  writeFileSync(join(dir, 'd.json'), JSON.stringify([{ title: 'T', context: 'C', questions: [{ question: 'q' }] }]));
  assert.throws(() => readPassages(join(dir, 'd.json')), /d\.json: record 0: field 'questions\[0\]' must be \{question: string, answer: string\}/);
  writeFileSync(join(dir, 'c.yaml'), 'inner:\n  lr: fast\n');
  assert.throws(() => loadKnowledgeConfig(join(dir, 'c.yaml')), /c\.yaml: field 'inner\.lr' must be a number/);
  writeFileSync(join(dir, 'c.yaml'), 'inner:\n  learning_rate: 0.1\n');
  assert.throws(() => loadKnowledgeConfig(join(dir, 'c.yaml')), /c\.yaml: unknown field 'inner\.learning_rate'/);
  writeFileSync(join(dir, 'c.yaml'), 'restem:\n  keep: best\n');
  assert.throws(() => loadKnowledgeConfig(join(dir, 'c.yaml')), /field 'restem\.keep' must be one of beat-baseline, top1/);
  writeFileSync(join(dir, 'c.yaml'), 'inner: [1, 2\n');
  assert.throws(() => loadKnowledgeConfig(join(dir, 'c.yaml')), /c\.yaml: malformed YAML/);
  // Two disjoint rounds of 3 passages need 6; the file has 1.
  writeFileSync(join(dir, 'c.yaml'), `data:\n  train: ${join(dir, 'd1.json')}\n  eval: ${join(dir, 'd1.json')}\n  trainPassages: 3\n`);
  writeFileSync(join(dir, 'd1.json'), JSON.stringify([{ title: 'T', context: 'C', questions: [{ question: 'q', answer: 'a' }] }]));
  assert.throws(() => loadKnowledgeData(loadKnowledgeConfig(join(dir, 'c.yaml'))), /field 'data\.trainPassages' asks for 6 RL passages \(3 per round × 2 disjoint rounds\), but .*d1\.json has 1/);
});

function seal(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 300_000 });
}

function microSetup(): { dir: string; config: (runs: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'seal-kmicro-'));
  const model = join(dir, 'model');
  const r = seal('pretrain', '--preset', 'micro', '--out', model, '--json');
  assert.equal(r.status, 0, r.stderr);
  return {
    dir,
    config: (runs: string) => {
      const path = join(dir, `${runs}.yaml`);
      writeFileSync(path, [
        'name: micro', `model: ${model}`, `runsDir: ${join(dir, runs)}`,
        'data:', '  synthetic: { seed: 0, pretrainPeople: 30, rlPeople: 6, evalPeople: 5 }', '  trainPassages: 3', '  evalPassages: 3',
        'task: { grader: exact, maxAnswerTokens: 12, answerStop: ["\\n"] }', 'sampling: { maxNewTokens: 48 }',
        'inner: { epochs: 2, rank: 4, alpha: 8 }', 'restem: { rounds: 2, samplesPerContext: 2, evalRepeats: 1, keep: top1 }',
        'sft: { rank: 4, alpha: 8, gradAccum: 2 }',
      ].join('\n'));
      return path;
    },
  };
}

function logKeys(runDir: string): string[] {
  return readFileSync(join(runDir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).key);
}

test('knowledge train end to end: table, run directory, report; a rerun redoes nothing', () => {
  const { config } = microSetup();
  const cfg = config('runs');
  const r = seal('knowledge', 'train', '--config', cfg, '--json');
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
  for (const k of ['base', 'passage', 'passageBaseSelfEdits', 'passageTeacherSelfEdits']) assert.equal(typeof summary.accuracy[k], 'number', k);
  assert.equal(summary.accuracy.seal.length, 2);
  assert.equal(summary.rounds.length, 2);
  for (const f of ['config.json', 'log.jsonl', 'summary.json', 'checkpoints/round-1/model.safetensors', 'checkpoints/round-2/config.json']) {
    assert.ok(existsSync(join(summary.runDir, f)), f);
  }
  const keys = logKeys(summary.runDir);
  assert.equal(new Set(keys).size, keys.length, 'every unit of work is logged once');
  // 3 eval passages × (passage, base self-edits, teacher, 2 SEAL rounds) + 3 train × 2 samples × 2 rounds.
  assert.equal(keys.filter((k) => k.includes('/inner/') || /^eval\/(passage|baseSelfEdits|teacherSelfEdits|seal-r\d)\//.test(k)).length, 3 * 5 + 3 * 2 * 2);
  const entries = readFileSync(join(summary.runDir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const inner = entries.find((e) => e.key.includes('/inner/'));
  for (const f of ['context', 'selfEdit', 'tokensTrained', 'tokensGenerated', 'reward', 'seconds']) assert.ok(f in inner, f);
  // As in the paper, round 2 trains on passages round 1 never saw: 3 of its own each.
  const contextsOf = (round: number) => new Set(entries.filter((e) => e.key.startsWith(`round${round}/inner/`)).map((e) => e.context));
  const [first, second] = [contextsOf(0), contextsOf(1)];
  assert.equal(first.size, 3);
  assert.equal(second.size, 3);
  assert.deepEqual([...first].filter((c) => second.has(c)), []);

  const again = seal('knowledge', 'train', '--config', cfg, '--json');
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(JSON.parse(again.stdout.trim().split('\n').pop()!).accuracy, summary.accuracy);
  assert.deepEqual(logKeys(summary.runDir), keys, 'the rerun added nothing to the log');

  const report = seal('report', summary.runDir);
  assert.equal(report.status, 0, report.stderr);
  assert.match(readFileSync(join(summary.runDir, 'report.html'), 'utf8'), /Accuracy per ReST-EM round/);
});

test('eval.samples: each evaluation passage trains on that many of its own sampled self-edits; the row is the mean of every inner loop', () => {
  const { dir, config } = microSetup();
  const cfg = join(dir, 'samples.yaml');
  writeFileSync(cfg, readFileSync(config('runs-samples'), 'utf8') + '\neval: { samples: 2, repeats: 2, conditions: [passage, baseSelfEdits] }\n');
  const r = seal('knowledge', 'eval', '--config', cfg, '--json');
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
  const entries = readFileSync(join(summary.runDir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const row = (label: string) => entries.filter((e) => new RegExp(`^eval/${label}(-sample\\d+)?(-repeat\\d+)?/`).test(e.key));
  const base = row('baseSelfEdits');
  assert.equal(base.length, 3 * 2 * 2, '3 passages × 2 self-edits × 2 repeats');
  assert.equal(row('passage').length, 3 * 2, 'the passage row has one text per passage: repeats only');
  const mean = (xs: { reward: number }[]) => xs.reduce((a, e) => a + e.reward, 0) / xs.length;
  assert.ok(Math.abs(summary.accuracy.passageBaseSelfEdits - mean(base)) < 1e-12);
  // Each inner loop trained the self-edit its key names: sample s of that passage.
  const samples = entries.find((e) => e.key === 'eval/samples-round0')!.samples as Record<string, { text: string }[]>;
  for (const e of base) {
    const s = /-sample(\d+)/.exec(e.key)?.[1] ?? '0';
    assert.equal(e.selfEdit, samples[e.context]![Number(s)]!.text, e.key);
  }
});

test('task.rankBy answer-likelihood: ReST-EM keeps the self-edit whose gold answers are likeliest after its inner loops; rows stay exact match', async () => {
  const { dir, config } = microSetup();
  const cfg = join(dir, 'likelihood.yaml');
  writeFileSync(cfg, readFileSync(config('runs-likelihood'), 'utf8')
    .replace('answerStop: ["\\n"] }', 'answerStop: ["\\n"], rankBy: answer-likelihood }')
    .replace('rounds: 2, samplesPerContext: 2, evalRepeats: 1', 'rounds: 1, samplesPerContext: 3, evalRepeats: 2'));
  const r = seal('knowledge', 'train', '--config', cfg, '--json');
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
  const entries = readFileSync(join(summary.runDir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  // The no-update baseline's likelihoods, recomputed by teacher forcing on the model directory.
  const { loadModel } = await import('../src/model/load.js');
  const { scoreIds } = await import('../src/generate/score.js');
  const model = loadModel(JSON.parse(readFileSync(join(summary.runDir, 'config.json'), 'utf8')).model);
  const passages = JSON.parse(readFileSync(join(summary.runDir, 'data.json'), 'utf8')).passages as { id: string; title: string; questions: { question: string; answer: string }[] }[];
  const baselines = entries.filter((e) => e.key.startsWith('round0/baseline/'));
  assert.equal(baselines.length, 3);
  for (const b of baselines) {
    const p = passages.find((q) => q.id === b.context)!;
    const likelihoods = p.questions.map((q) => {
      const prompt = model.tokenizer!.encode(qaPrompt(p.title, q.question));
      const ids = model.tokenizer!.encode(qaPrompt(p.title, q.question) + q.answer + '\n');
      assert.deepEqual(ids.slice(0, prompt.length), prompt);
      const lp = scoreIds(model.model, ids).tokens.slice(prompt.length).map((t) => t.logprob!);
      return Math.exp(lp.reduce((a, x) => a + x, 0) / lp.length);
    });
    b.details.forEach((d: { likelihood: number }, i: number) => assert.ok(Math.abs(d.likelihood - likelihoods[i]!) < 1e-6, `${b.key} question ${i}`));
    assert.ok(Math.abs(b.rank - likelihoods.reduce((a, x) => a + x, 0) / likelihoods.length) < 1e-6);
  }
  // Per context the kept self-edit is the one with the highest mean rank over its 2 inner loops.
  const kept = JSON.parse(readFileSync(join(summary.runDir, 'round-1-kept.json'), 'utf8')) as { context: string; completion: string; reward: number }[];
  assert.equal(kept.length, 3, 'keep: top1');
  for (const k of kept) {
    const loops = entries.filter((e) => e.key.startsWith(`round0/inner/${k.context}/`));
    assert.equal(loops.length, 6);
    const means = [0, 1, 2].map((j) => loops.filter((e) => e.key.includes(`/${j}/`)).reduce((a, e) => a + e.rank, 0) / 2);
    const best = means.indexOf(Math.max(...means));
    assert.equal(k.completion, loops.find((e) => e.key.includes(`/${best}/`))!.selfEdit.trim());
    assert.ok(Math.abs(k.reward - means[best]!) < 1e-12);
    for (const e of loops) {
      assert.ok(e.rank > 0 && e.rank < 1, `${e.key} rank ${e.rank}`);
      const n = e.details.length; // the reward is still the graded accuracy: a multiple of 1/n
      assert.ok(Math.abs(e.reward * n - Math.round(e.reward * n)) < 1e-9, `${e.key} reward ${e.reward}`);
    }
  }
  // The table's rows are still graded answers: each the mean of its inner loops' rewards.
  const passageRow = entries.filter((e) => /^eval\/passage(-repeat\d+)?\//.test(e.key));
  assert.ok(Math.abs(summary.accuracy.passage - passageRow.reduce((a, e) => a + e.reward, 0) / passageRow.length) < 1e-12);
});

test('restem.rewardWithoutContext: ReST-EM scores a self-edit by training on it alone; the evaluation rows still add the passage', () => {
  const { dir, config } = microSetup();
  const withPassage = seal('knowledge', 'train', '--config', config('runs-with-passage'), '--json');
  assert.equal(withPassage.status, 0, withPassage.stderr);
  const cfg = join(dir, 'alone.yaml');
  writeFileSync(cfg, readFileSync(config('runs-alone'), 'utf8').replace('keep: top1 }', 'keep: top1, rewardWithoutContext: true }'));
  const alone = seal('knowledge', 'train', '--config', cfg, '--json');
  assert.equal(alone.status, 0, alone.stderr);
  const log = (out: string) => {
    const runDir = JSON.parse(out.trim().split('\n').pop()!).runDir as string;
    return new Map(readFileSync(join(runDir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).map((e) => [e.key, e]));
  };
  const [a, b] = [log(withPassage.stdout), log(alone.stdout)];
  // Round 0: the same policy and seeds, so the same self-edits; the passage's tokens are gone.
  const round0 = [...b.keys()].filter((k) => k.startsWith('round0/inner/'));
  assert.equal(round0.length, 3 * 2);
  for (const k of round0) {
    assert.equal(b.get(k).selfEdit, a.get(k).selfEdit, k);
    if (b.get(k).invalid) assert.equal(b.get(k).reward, 0, k);
    else assert.ok(b.get(k).tokensTrained < a.get(k).tokensTrained, `${k}: ${b.get(k).tokensTrained} vs ${a.get(k).tokensTrained}`);
  }
  // Rows the round does not change train exactly as before.
  for (const k of [...a.keys()].filter((k) => /^eval\/(passage|baseSelfEdits|teacherSelfEdits)\//.test(k))) {
    assert.equal(b.get(k).tokensTrained, a.get(k).tokensTrained, k);
    assert.equal(b.get(k).reward, a.get(k).reward, k);
  }
  // A self-edit with nothing in it has nothing to train on alone: unusable, reward 0.
  const task = new KnowledgeTask({ promptKey: 'implications', splitNewlines: true, grader: 'exact', maxAnswerTokens: 8, answerStop: ['\n'] });
  const passage = { id: 'p', title: 'T', context: 'The passage.', questions: [] };
  const settings = { lr: 1e-3, epochs: 1, batchSize: 1, gradAccum: 1, rank: 4, alpha: 8, dropout: 0, targets: ['q_proj'], completionOnly: false };
  assert.deepEqual(task.plan(passage, 'A is B.', settings), { ok: true, rows: [{ text: 'T\nA is B.' }, { text: 'T\nThe passage.' }], settings });
  const aloneSettings = { ...settings, selfEditOnly: true };
  assert.deepEqual(task.plan(passage, 'A is B.', aloneSettings), { ok: true, rows: [{ text: 'T\nA is B.' }], settings: aloneSettings });
  assert.equal(task.plan(passage, '  ', aloneSettings).ok, false);
});

test('kill -9 at any moment, then the same command: resumes without redoing or losing an inner loop', async () => {
  const { config } = microSetup();
  const reference = seal('knowledge', 'train', '--config', config('reference'), '--json');
  assert.equal(reference.status, 0, reference.stderr);
  const expected = JSON.parse(reference.stdout.trim().split('\n').pop()!);
  const cfg = config('killed');
  // Kill it three times at growing depths, then let it finish.
  for (const lines of [3, 12, 22]) {
    const child = spawn(process.execPath, [bin, 'knowledge', 'train', '--config', cfg], { stdio: 'ignore' });
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        const runs = join(cfg.replace(/\.yaml$/, ''));
        const dirs = existsSync(runs) ? spawnSync('ls', [runs], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean) : [];
        const log = dirs.length ? join(runs, dirs[0]!, 'log.jsonl') : '';
        const n = log && existsSync(log) ? readFileSync(log, 'utf8').split('\n').length - 1 : 0;
        if (n >= lines || child.exitCode !== null) {
          clearInterval(poll);
          child.kill('SIGKILL');
          resolve();
        }
      }, 5);
    });
    await new Promise((r) => child.once('exit', r));
  }
  const done = seal('knowledge', 'train', '--config', cfg, '--json');
  assert.equal(done.status, 0, done.stderr);
  const summary = JSON.parse(done.stdout.trim().split('\n').pop()!);
  assert.deepEqual(summary.accuracy, expected.accuracy, 'same results as the uninterrupted run');
  const keys = logKeys(summary.runDir);
  assert.equal(new Set(keys).size, keys.length, 'no inner loop was done twice');
  assert.deepEqual([...keys].sort(), [...logKeys(expected.runDir)].sort(), 'and none was lost');
});

test('inner loops on worker processes log exactly what this process computes, and a kill -9 leaves no worker behind', async () => {
  const { config } = microSetup();
  const inProcess = spawnSync(process.execPath, [bin, 'knowledge', 'train', '--config', config('one'), '--json'], {
    encoding: 'utf8', timeout: 300_000, env: { ...process.env, SEAL_THREADS: '1' },
  });
  assert.equal(inProcess.status, 0, inProcess.stderr);
  const pooled = seal('knowledge', 'train', '--config', config('pooled'), '--workers', '2', '--json');
  assert.equal(pooled.status, 0, pooled.stderr);
  const [a, b] = [inProcess, pooled].map((r) => JSON.parse(r.stdout.trim().split('\n').pop()!));
  assert.deepEqual(b.accuracy, a.accuracy);
  const byKey = (dir: string) => new Map(readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).map((e) => [e.key, e]));
  const [ea, eb] = [byKey(a.runDir), byKey(b.runDir)];
  assert.deepEqual([...eb.keys()].sort(), [...ea.keys()].sort());
  for (const [key, e] of ea) {
    if (!key.includes('/inner/') && !/^eval\/(passage|baseSelfEdits|teacherSelfEdits|seal-r\d)\//.test(key)) continue;
    assert.equal(eb.get(key).reward, e.reward, key);
    assert.equal(eb.get(key).finalLoss, e.finalLoss, key);
  }

  // Kill the parent mid-run: its workers notice the closed channel and exit.
  const cfg = config('orphans');
  const child = spawn(process.execPath, [bin, 'knowledge', 'train', '--config', cfg, '--workers', '2'], { stdio: 'ignore' });
  let workers: number[] = [];
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      const found = spawnSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number);
      if (found.length === 2 || child.exitCode !== null) {
        workers = found;
        clearInterval(poll);
        resolve();
      }
    }, 20);
  });
  assert.equal(workers.length, 2, 'two workers started');
  child.kill('SIGKILL');
  const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
  for (let t = 0; t < 200 && workers.some(alive); t++) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(workers.filter(alive), [], 'no worker outlives its run');
});

test('knowledge cpt and continual: one pooled update; a forgetting matrix filled below the diagonal', () => {
  const { dir, config } = microSetup();
  const cfg = config('other');
  writeFileSync(cfg, readFileSync(cfg, 'utf8') + '\ncpt: { passages: 3, samplesPerContext: 2, epochs: 1 }\ncontinual: { sequences: 2, steps: 3 }\n');
  void dir;
  const cpt = seal('knowledge', 'cpt', '--config', cfg, '--json');
  assert.equal(cpt.status, 0, cpt.stderr);
  const c = JSON.parse(cpt.stdout.trim().split('\n').pop()!);
  assert.equal(c.passages, 3);
  assert.equal(c.sequences, 3 * 2 * 2, 'each self-edit and the passage, no newline splitting');
  assert.ok(c.accuracy.base >= 0 && c.accuracy.adapter >= 0);
  assert.ok(existsSync(join(c.runDir, 'adapter', 'adapter_model.safetensors')));
  const cont = seal('knowledge', 'continual', '--config', cfg, '--json');
  assert.equal(cont.status, 0, cont.stderr);
  const m = JSON.parse(cont.stdout.trim().split('\n').pop()!);
  assert.equal(m.sequences, 2);
  assert.equal(m.forgetting.length, 4);
  m.forgetting.forEach((row: number[], r: number) => {
    assert.equal(row.length, 3);
    if (r > 0) row.slice(r).forEach((v) => assert.equal(v, 0, 'passages not yet seen are not scored'));
  });
});
