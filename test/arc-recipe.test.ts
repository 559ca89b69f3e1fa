// The ARC recipe end to end (`seal arc train`) on a random-init model with a BPE vocabulary of ARC
// text, over the two smallest training tasks and the smallest evaluation task of the filtered sets.
// The model cannot solve ARC, so the machinery is what is checked: every baseline and the ReST-EM
// round run and are logged once, a rerun or a kill -9 redoes nothing, behaviour cloning keeps every
// successful self-edit, config errors name the field, and the report draws the grids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../src/model/load.js';
import { Tokenizer } from '../src/model/tokenizer.js';
import { writeRandomModel } from '../src/model/random.js';
import { trainBpe, writeTokenizer } from '../src/tokenizer/train-bpe.js';
import { RunDir } from '../src/seal/run.js';
import { readArcSet } from '../src/tasks/arc/data.js';
import { taskMessages } from '../src/tasks/arc/grid-text.js';
import { SELF_EDIT_SYSTEM_MESSAGE, selfEditUserMessage } from '../src/tasks/arc/self-edit.js';
import { arcContexts, type ArcContext } from '../src/tasks/arc/task.js';
import { loadArcConfig } from '../src/recipes/arc-config.js';
import { arcRestEmRound, loadArcData, makeArcTask, oracleConfigs, tttDefaults, type ArcSummary } from '../src/recipes/arc.js';
import type { TttSettings } from '../src/tasks/arc/ttt.js';
import { writeReport } from '../src/report/report.js';

const bin = fileURLToPath(new URL('../../bin/seal.js', import.meta.url));
const arcDir = fileURLToPath(new URL('../../../shared/data/arc/', import.meta.url));
const TRAIN_IDS = ['6150a2bd', '5582e5ca'];
const EVAL_IDS = ['66e6c45b'];
const root = mkdtempSync(join(tmpdir(), 'seal-arc-recipe-'));

/** A random-init Llama whose tokenizer was trained on the text of the tasks used here. */
const modelDir = (() => {
  const dir = join(root, 'model');
  const tasks = [...readArcSet(arcDir, 'training-filtered'), ...readArcSet(arcDir, 'evaluation-filtered')]
    .filter((t) => TRAIN_IDS.includes(t.id) || EVAL_IDS.includes(t.id));
  const texts = arcContexts(tasks).flatMap((c) => {
    const m = taskMessages(c.train, c.test);
    return [m.system, m.user, m.assistant, selfEditUserMessage(c.train), SELF_EDIT_SYSTEM_MESSAGE];
  });
  const bpe = trainBpe(texts, { vocabSize: 320 });
  writeTokenizer(dir, bpe);
  const eos = Tokenizer.fromDir(dir).eosId;
  writeRandomModel(dir, {
    architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2,
    num_attention_heads: 2, num_key_value_heads: 1, vocab_size: bpe.vocabSize, max_position_embeddings: 2048, rms_norm_eps: 1e-5,
    rope_theta: 10000, hidden_act: 'silu', tie_word_embeddings: true, eos_token_id: eos,
  }, { seed: 0 });
  return dir;
})();

/** A config for a tiny run: k = 2, one round, a two-configuration oracle, 2-step TTT, 8-token answers. */
function configFile(runs: string, extra = ''): string {
  const path = join(root, `${runs}.yaml`);
  writeFileSync(path, [
    'name: arc-micro', `model: ${modelDir}`, `runsDir: ${join(root, runs)}`,
    `data: { trainIds: [${TRAIN_IDS.join(', ')}], evalIds: [${EVAL_IDS.join(', ')}] }`,
    'task: { maxTokens: 2048, maxTttExamples: 4, maxSteps: 4, maxAnswerTokens: 8, answerStop: ["#"] }',
    'sampling: { maxNewTokens: 12 }',
    'ttt: { rank: 2, alpha: 4 }',
    'restem: { rounds: 1, samplesPerContext: 2 }',
    'sft: { rank: 2, alpha: 4, epochs: 1, batchSize: 2 }',
    'eval: { samplesPerContext: 2 }',
    'oracle: { groups: [basic], strategies: [train_using_output_tokens], learningRates: [0.001], epochs: [1], stopAtFirstSuccess: false }',
    extra,
  ].join('\n'));
  return path;
}

function seal(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
}

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!) as ArcSummary;
const logEntries = (runDir: string) => readFileSync(join(runDir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown> & { key: string });
const logKeys = (runDir: string) => logEntries(runDir).map((e) => e.key);

/** Every unit of work of the tiny train run: contexts 6150a2bd-0, 5582e5ca-0 (train) and 66e6c45b-0 (eval). */
const EXPECTED_KEYS = [
  'eval/icl/66e6c45b-0',
  'eval/samples-round0/66e6c45b-0', 'eval/baseSelfEdits/66e6c45b-0/0', 'eval/baseSelfEdits/66e6c45b-0/1',
  'eval/oracle/66e6c45b-0/0', 'eval/oracle/66e6c45b-0/1',
  'round0/samples/6150a2bd-0', 'round0/inner/6150a2bd-0/0', 'round0/inner/6150a2bd-0/1',
  'round0/samples/5582e5ca-0', 'round0/inner/5582e5ca-0/0', 'round0/inner/5582e5ca-0/1',
  'eval/samples-round1/66e6c45b-0', 'eval/seal-r1/66e6c45b-0/0', 'eval/seal-r1/66e6c45b-0/1',
];

let referenceRun: ArcSummary | undefined;
function reference(): ArcSummary {
  if (!referenceRun) {
    const r = seal('arc', 'train', '--config', configFile('reference'), '--json');
    assert.equal(r.status, 0, r.stderr);
    referenceRun = lastJson(r.stdout);
  }
  return referenceRun;
}

test('seal arc train: every baseline and the round run once, logged, summarised; a rerun redoes nothing', () => {
  const s = reference();
  for (const f of ['config.json', 'data.json', 'log.jsonl', 'summary.json', 'round-1-kept.json', 'checkpoints/round-1/model.safetensors', 'checkpoints/round-1/tokenizer.json']) {
    assert.ok(existsSync(join(s.runDir, f)), f);
  }
  assert.deepEqual(JSON.parse(readFileSync(join(s.runDir, 'data.json'), 'utf8')), { train: ['6150a2bd-0', '5582e5ca-0'], eval: ['66e6c45b-0'] });
  const keys = logKeys(s.runDir);
  assert.deepEqual([...keys].sort(), [...EXPECTED_KEYS].sort());
  // Rates agree with the log they summarise.
  const entries = logEntries(s.runDir);
  const rate = (prefix: string, f: (e: Record<string, unknown>) => boolean) => {
    const es = entries.filter((e) => e.key.startsWith(prefix));
    return es.filter(f).length / es.length;
  };
  const solved = (e: Record<string, unknown>) => e.reward === 1;
  assert.equal(s.successRate.icl, rate('eval/icl/', solved));
  assert.equal(s.successRate.tttUntrainedPolicy, rate('eval/baseSelfEdits/', solved));
  assert.deepEqual(s.successRate.seal, [rate('eval/seal-r1/', solved)]);
  assert.equal(s.successRate.oracle, entries.some((e) => e.key.startsWith('eval/oracle/') && solved(e)) ? 1 : 0);
  assert.equal(s.formatFailureRate.tttUntrainedPolicy, rate('eval/baseSelfEdits/', (e) => typeof e.invalid === 'string'));
  assert.deepEqual(s.formatFailureRate.training, [rate('round0/inner/', (e) => typeof e.invalid === 'string')]);
  assert.deepEqual(s.counts.seal.map((c) => c.trials), [2]);
  assert.deepEqual(s.rounds.map((r) => [r.round, r.trials]), [[1, 4]]);
  assert.equal(s.oracleConfigurations, 2);
  // Every TTT that trained logs its last training loss (a run that does not learn shows there).
  const trained = entries.filter((e) => typeof e.trainSteps === 'number' && e.trainSteps > 0);
  assert.ok(trained.length > 0);
  for (const e of trained) assert.ok(typeof e.finalLoss === 'number' && Number.isFinite(e.finalLoss), `${e.key}: finalLoss ${String(e.finalLoss)}`);
  // The oracle's two configurations (basic, then none) really trained: 4 examples at batch 2 = 2 steps.
  const task = s.tasks[0]!;
  assert.equal(task.id, '66e6c45b-0');
  assert.deepEqual(task.oracle!.tried.map((o) => [o.config!.augmentations.basic, o.unusable, o.trainSteps, o.tttExamples]), [[true, undefined, 2, 4], [false, undefined, 2, 4]]);
  assert.ok(task.oracle!.tried.every((o) => Array.isArray(o.attempts)), 'the updated model was scored');
  assert.equal(task.tttUntrainedPolicy!.length, 2);
  assert.equal(task.seal.length, 1);
  assert.deepEqual(task.icl!.attempts.length, 2);
  assert.deepEqual(s.trainTasks.map((t) => [t.id, t.trials]), [['6150a2bd-0', [2]], ['5582e5ca-0', [2]]]);
  assert.equal(s.compute.innerLoops, 2 + 2 + 4 + 2);

  const again = seal('arc', 'train', '--config', configFile('reference'), '--json');
  assert.equal(again.status, 0, again.stderr);
  const s2 = lastJson(again.stdout);
  assert.equal(s2.runDir, s.runDir);
  assert.deepEqual(s2.successRate, s.successRate);
  assert.deepEqual(logKeys(s.runDir), keys, 'the rerun added nothing to the log');
});

test('seal arc eval: the baselines only, with the same numbers as the train run\'s (same seeds, same keys)', () => {
  const train = reference();
  const r = seal('arc', 'eval', '--config', configFile('eval'), '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = lastJson(r.stdout);
  assert.deepEqual([...logKeys(s.runDir)].sort(), EXPECTED_KEYS.filter((k) => /^eval\/(icl|samples-round0|baseSelfEdits|oracle)\//.test(k)).sort());
  assert.deepEqual(s.successRate, { ...train.successRate, seal: [] });
  assert.deepEqual(s.rounds, []);
  assert.deepEqual(s.tasks.map((t) => ({ ...t, seal: [] })), train.tasks.map((t) => ({ ...t, seal: [] })));
  assert.ok(!existsSync(join(s.runDir, 'checkpoints')));
});

test('kill -9 at any moment, then the same command: resumes without redoing or losing a unit of work', async () => {
  const expected = reference();
  const cfg = configFile('killed');
  const runs = join(root, 'killed');
  const logLines = () => {
    const dirs = existsSync(runs) ? readdirSync(runs) : [];
    const log = dirs.length ? join(runs, dirs[0]!, 'log.jsonl') : '';
    return log && existsSync(log) ? readFileSync(log, 'utf8').split('\n').length - 1 : 0;
  };
  for (const lines of [2, 7, 12]) {
    const child = spawn(process.execPath, [bin, 'arc', 'train', '--config', cfg], { stdio: 'ignore' });
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (logLines() >= lines || child.exitCode !== null) {
          clearInterval(poll);
          child.kill('SIGKILL');
          resolve();
        }
      }, 5);
    });
    await new Promise((r) => child.once('exit', r));
  }
  const killedAt = logLines();
  assert.ok(killedAt >= 12 && killedAt < EXPECTED_KEYS.length, `killed with ${killedAt} units done: the last kill was mid-run`);
  const done = seal('arc', 'train', '--config', cfg, '--json');
  assert.equal(done.status, 0, done.stderr);
  const s = lastJson(done.stdout);
  const keys = logKeys(s.runDir);
  assert.equal(new Set(keys).size, keys.length, 'no unit was done twice');
  assert.deepEqual([...keys].sort(), [...EXPECTED_KEYS].sort(), 'and none was lost');
  assert.deepEqual(s.successRate, expected.successRate, 'same results as the uninterrupted run');
  assert.deepEqual(s.formatFailureRate, expected.formatFailureRate);
  assert.deepEqual(s.tasks, expected.tasks);
});

test('TTT on worker processes (--workers 2) logs exactly what one process computes, and the same summary', () => {
  // Workers run one thread each, so the in-process run does too: the same arithmetic, bit for bit.
  const one = spawnSync(process.execPath, [bin, 'arc', 'train', '--config', configFile('one-thread'), '--json'], {
    encoding: 'utf8', timeout: 120_000, env: { ...process.env, SEAL_THREADS: '1' },
  });
  assert.equal(one.status, 0, one.stderr);
  const pooled = seal('arc', 'train', '--config', configFile('pooled'), '--workers', '2', '--json');
  assert.equal(pooled.status, 0, pooled.stderr);
  const [a, b] = [lastJson(one.stdout), lastJson(pooled.stdout)];
  assert.notEqual(a.runDir, b.runDir);
  const byKey = (dir: string) => new Map(logEntries(dir).map((e) => [e.key, e]));
  const [ea, eb] = [byKey(a.runDir), byKey(b.runDir)];
  assert.deepEqual([...eb.keys()].sort(), [...EXPECTED_KEYS].sort());
  for (const [key, e] of ea) {
    for (const field of ['reward', 'finalLoss', 'trainSteps', 'selfEdit', 'details']) assert.deepEqual(eb.get(key)![field], e[field], `${key}: ${field}`);
  }
  assert.deepEqual(b.successRate, a.successRate);
  assert.deepEqual(b.tasks, a.tasks);
  assert.deepEqual(b.trainTasks, a.trainTasks);
});

test('a ReST-EM round keeps every successful self-edit (not one per task) and clones them into the checkpoint', async () => {
  const cfg = loadArcConfig(configFile('round'));
  const data = await loadArcData(cfg);
  const round = async (solves: (c: ArcContext) => boolean, runs: string) => {
    const policy = loadModel(modelDir);
    const real = makeArcTask(cfg, policy.tokenizer!);
    // Scripted rewards: context by context, regardless of what the (random) policy wrote.
    const scripted = Object.assign(Object.create(real) as typeof real, {
      plan: () => ({ ok: true, rows: [{ prompt: 'a', completion: 'b' }], settings: { ...cfg.ttt, maxSteps: 1 } }),
      evaluate: async (_: unknown, c: ArcContext) => ({ reward: solves(c) ? 1 : 0, details: null, tokensGenerated: 0 }),
    });
    const run = RunDir.open(join(root, runs), 'round', { runs });
    const { report } = await arcRestEmRound(run, 0, policy, scripted, data.train, cfg);
    const kept = JSON.parse(readFileSync(run.path('round-1-kept.json'), 'utf8')) as { context: string; prompt: string; completion: string }[];
    const samples = run.get<{ key: string; samples: Record<string, { text: string }[]> }>('round0/samples/6150a2bd-0')!.samples['6150a2bd-0']!;
    return { report, kept, samples, prompt: real.selfEditPrompt(data.train[0]!), weights: loadModel(run.path('checkpoints/round-1')).model.params };
  };
  const original = loadModel(modelDir).model.params;
  const changed = (weights: typeof original) => [...original].some(([name, p]) => !(p.data as Float32Array).every((v, i) => v === (weights.get(name)!.data as Float32Array)[i]));

  const one = await round((c) => c.id === '6150a2bd-0', 'round-kept');
  assert.deepEqual(one.kept.map((k) => k.context), ['6150a2bd-0', '6150a2bd-0'], 'both successful self-edits of the task, none of the other');
  assert.deepEqual(one.kept.map((k) => k.completion), one.samples.map((s) => s.text.trim()));
  assert.ok(one.kept.every((k) => k.prompt === one.prompt));
  assert.deepEqual([one.report.successes, one.report.trials, one.report.kept], [2, 4, 2]);
  assert.ok(changed(one.weights), 'behaviour cloning changed the policy');

  const none = await round(() => false, 'round-none');
  assert.deepEqual(none.kept, []);
  assert.ok(!changed(none.weights), 'nothing kept: the checkpoint is the policy unchanged');
});

test('the oracle grid: every subset of the groups (largest first) × strategies × rates × epochs; the first is the paper\'s', () => {
  const grid = oracleConfigs(loadArcConfig(null).oracle);
  assert.equal(grid.length, 16 * 2 * 2 * 2);
  assert.deepEqual(grid[0], {
    augmentations: { basic: true, size: true, chain: true, repeat: true }, strategy: 'train_using_output_tokens', learningRate: 1e-4, numTrainEpochs: 2,
  });
  assert.equal(new Set(grid.map((c) => JSON.stringify(c))).size, grid.length);
  assert.deepEqual(grid[grid.length - 1]!.augmentations, { basic: false, size: false, chain: false, repeat: false });
});

test('the defaults are the paper\'s numbers; config errors name the file and the field', async () => {
  const d = loadArcConfig(null);
  assert.deepEqual([d.restem.samplesPerContext, d.eval.samplesPerContext, d.restem.rounds], [15, 5, 1]);
  assert.deepEqual([d.sampling.temperature, d.sampling.maxNewTokens], [0.8, 128]);
  assert.deepEqual([d.sft.rank, d.sft.alpha, d.sft.epochs, d.sft.batchSize, d.sft.lr], [16, 16, 8, 5, 5e-5]);
  assert.deepEqual([d.ttt.rank, d.ttt.alpha, d.ttt.batchSize, d.task.maxSteps, d.task.maxTttExamples], [128, 16, 2, 375, 250]);
  // §5: HF Trainer's cosine schedule after 11 warmup steps, passed on to every TTT run.
  assert.deepEqual([d.ttt.schedule, d.ttt.warmup], ['cosine', 11]);
  const settings = tttDefaults(d) as TttSettings;
  assert.deepEqual([settings.schedule, settings.warmup], ['cosine', 11]);
  const data = await loadArcData(d);
  assert.equal(data.train.length, 13, '12 training tasks, 44f52bb0 with two test inputs');
  assert.equal(new Set(data.eval.map((c) => c.id.split('-')[0])).size, 8);

  const bad = join(root, 'bad.yaml');
  const rejects = (yaml: string, message: RegExp) => {
    writeFileSync(bad, yaml);
    assert.throws(() => loadArcConfig(bad), message, yaml);
  };
  rejects('ttt:\n  lr: fast\n', /bad\.yaml: field 'ttt\.lr' must be a number/);
  rejects('ttt:\n  learning_rate: 0.1\n', /bad\.yaml: unknown field 'ttt\.learning_rate'/);
  rejects('oracle: { learningRates: [0.001, big] }\n', /bad\.yaml: field 'oracle\.learningRates' item 1 must be a number/);
  rejects('oracle: { epochs: [] }\n', /field 'oracle\.epochs' must not be empty/);
  rejects('oracle: { groups: [basic, colour] }\n', /field 'oracle\.groups' has 'colour'/);
  rejects('eval: { conditions: [icl, magic] }\n', /field 'eval\.conditions' has 'magic'/);
  rejects('ttt: { schedule: step }\n', /field 'ttt\.schedule' must be one of constant, linear, cosine, got "step"/);
  rejects('ttt: { warmup: 2.5 }\n', /field 'ttt\.warmup' must be an integer/);
  rejects('restem: { samplesPerContext: 0 }\n', /field 'restem\.samplesPerContext' must be >= 1/);
  rejects('data: { trainChallenges: c.json }\n', /field 'data\.trainSolutions' is required with data\.trainChallenges/);
  rejects('data: { evalSet: secret }\n', /field 'data\.evalSet' must be one of/);
  writeFileSync(bad, 'data: { evalIds: [nope] }\n');
  await assert.rejects(loadArcData(loadArcConfig(bad)), /field 'data\.evalIds' names task nope/);
  const cli = seal('arc', 'train', '--config', bad.replace('bad', 'missing'));
  assert.equal(cli.status, 1);
  assert.match(cli.stderr, /missing\.yaml: cannot read/);
  assert.equal(seal('arc', 'fit').status, 2, 'an unknown mode is a usage error');
});

test('data.synthetic runs the mini-ARC generator: picked tasks become contexts; unknown fields are named', async () => {
  const file = join(root, 'synthetic.yaml');
  writeFileSync(file, 'data: { synthetic: { seed: 3, pretrainTasks: 4, trainTasks: 6, evalTasks: 5, pick: { seed: 1, train: 3, eval: 2 } } }\n');
  const data = await loadArcData(loadArcConfig(file));
  // One context per test input; mini-ARC tasks have one test pair each.
  assert.equal(data.train.length, 3);
  assert.equal(data.eval.length, 2);
  const again = await loadArcData(loadArcConfig(file));
  assert.deepEqual(again.eval.map((c) => c.id), data.eval.map((c) => c.id), 'the same seeds give the same tasks');
  writeFileSync(file, 'data: { synthetic: { seed: 3, sizes: 4 } }\n');
  await assert.rejects(loadArcData(loadArcConfig(file)), /data\.synthetic\.sizes/);
});

const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));

test('the report draws every task\'s grids in the ARC palette and the success-rate table', () => {
  const s = reference();
  const html = readFileSync(writeReport(s.runDir), 'utf8');
  const svgs = [...html.matchAll(/<svg class="arc-grid" data-shape="(\d+)x(\d+)"[^>]*>([\s\S]*?)<\/svg>/g)];
  // Eval task: 2 demonstrations + test = 6 grids; training tasks: (2 + 1) × 2 and (3 + 1) × 2.
  const taskGrids = (id: string) => {
    const section = new RegExp(`<section class="arc-(?:train-)?task" data-task="${id}">[\\s\\S]*?</section>`).exec(html)![0];
    return [...section.matchAll(/<figure class="arc-pair">/g)].length * 2;
  };
  assert.deepEqual([taskGrids('66e6c45b-0'), taskGrids('6150a2bd-0'), taskGrids('5582e5ca-0')], [6, 6, 8]);
  // The eval task's test input, read back from its cells' colours.
  const palette = ['#000000', '#0074d9', '#ff4136', '#2ecc40', '#ffdc00', '#aaaaaa', '#f012be', '#ff851b', '#7fdbff', '#870c25'];
  const testInput = s.tasks[0]!.test.input;
  const drawn = svgs.find((m) => /<title>test \(true output\) input<\/title>/.test(m[3]!))!;
  assert.deepEqual([Number(drawn[1]), Number(drawn[2])], [testInput.length, testInput[0]!.length]);
  const fills = [...drawn[3]!.matchAll(/fill="(#[0-9a-f]{6})"/g)].map((m) => palette.indexOf(m[1]!));
  assert.deepEqual(fills, testInput.flat());
  assert.equal((html.match(/<tr class="arc-rate">/g) ?? []).length, 4, 'ICL, untrained policy, SEAL round 1, oracle');
  assert.match(html, /Oracle TTT \(any of 2 configurations\)/);
  assert.match(html, /basic; output tokens; lr 0\.001; 1 epoch/, 'the oracle\'s chosen configuration');
  if (!chromium) return;
  const profile = mkdtempSync(join(tmpdir(), 'seal-chromium-'));
  const r = spawnSync(chromium, [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', `--user-data-dir=${profile}`, '--virtual-time-budget=5000', '--dump-dom', `file://${join(s.runDir, 'report.html')}`,
  ], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /data-rendered="yes"/, 'the page\'s script ran to the end on an ARC summary');
  assert.match(r.stdout, /TTT \+ self-edits of the untrained policy<\/td><td class="num">/);
  assert.equal((r.stdout.match(/<svg class="arc-grid"/g) ?? []).length, svgs.length);
});
