// The offline ARC demo's plumbing: the in-domain pretraining corpus (deterministic, and in exactly
// the text format ARC inference and test-time training use), `seal pretrain --preset micro-arc`
// (a loadable model directory that records its mini-ARC options), the synthetic data module the ARC
// recipe imports, and `seal demo --arc` end to end on that micro model with tiny sizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../src/model/load.js';
import { Tokenizer } from '../src/model/tokenizer.js';
import { generate } from '../src/generate/generate.js';
import { buildArcCorpus, chatmlRenderer, randomSelfEdit, resolveArcCorpusOptions, type ArcCorpusDocument } from '../src/pretrain/arc-corpus.js';
import { Rng } from '../src/tasks/synthetic/people.js';
import { ARC_PRESETS } from '../src/pretrain/presets.js';
import { makeMiniArc, pickTasks } from '../src/tasks/arc-synthetic/index.js';
import { makeMiniArc as generateMiniArc } from '../src/tasks/arc-synthetic/benchmark.js';
import type { ArcExample, ArcTask } from '../src/tasks/arc/data.js';
import { TASK_INSTRUCTION, exampleAnswer, parseGridText, renderQuery } from '../src/tasks/arc/grid-text.js';
import { gridKey } from '../src/tasks/arc/grid.js';
import { parseSelfEdit } from '../src/tasks/arc/self-edit.js';
import { ArcTask as ArcSealTask, arcContexts } from '../src/tasks/arc/task.js';
import { tttRow } from '../src/tasks/arc/ttt.js';
import { loadArcConfig } from '../src/recipes/arc-config.js';
import { loadArcData } from '../src/recipes/arc.js';
import { arcDemoJson, resolveArcDemoConfig } from '../src/recipes/demo-arc.js';
import type { ArcSummary } from '../src/recipes/arc.js';

const bin = fileURLToPath(new URL('../../bin/seal.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'seal-arc-demo-'));
const SMALL = { seed: 3, pretrainTasks: 21, trainTasks: 7, evalTasks: 7, minSide: 3, maxSide: 5 };

/** Demo overrides for tests: 2 train and 2 eval tasks, 2 self-edits each, 4-step TTT, 2 rounds. */
const small = join(root, 'small.yaml');
writeFileSync(small, [
  'data: { synthetic: { pick: { train: 2, eval: 2 } } }',
  'task: { maxTttExamples: 4, maxSteps: 4 }',
  'sampling: { maxNewTokens: 24 }',
  'restem: { rounds: 2, samplesPerContext: 2 }',
  'sft: { epochs: 1 }',
  'eval: { samplesPerContext: 2 }',
  'oracle: { learningRates: [0.01] }',
].join('\n'));

function seal(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
}
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!);

/** `seal pretrain --preset micro-arc` once, shared by the tests that need a model. */
let microDir: string | undefined;
function microModel(): string {
  if (!microDir) {
    const dir = join(root, 'micro-arc');
    const r = seal('pretrain', '--preset', 'micro-arc', '--out', dir, '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = lastJson(r.stdout);
    assert.equal(out.dir, dir);
    assert.equal(out.recall, null, 'an ARC model has no knowledge recall measurement');
    microDir = dir;
  }
  return microDir;
}

/** Every (demonstrations, query) a problem document can have been drawn from: ≤ 2 ordered demonstrations. */
function candidates(t: ArcTask): { demonstrations: ArcExample[]; query: ArcExample }[] {
  const pairs = [...t.train, ...t.test];
  const out: { demonstrations: ArcExample[]; query: ArcExample }[] = [];
  pairs.forEach((query, q) => {
    const others = pairs.filter((_, i) => i !== q);
    out.push({ demonstrations: [], query });
    others.forEach((a, i) => {
      out.push({ demonstrations: [a], query });
      others.forEach((b, j) => { if (i !== j) out.push({ demonstrations: [a, b], query }); });
    });
  });
  return out;
}

test('arc corpus: deterministic per seed, both document kinds, configurations diverse and parseable', () => {
  const arc = generateMiniArc(SMALL);
  const options = { seed: 1, problemsPerTask: 3, selfEditTaskFraction: 0.6 };
  const docs = buildArcCorpus(arc.pretrain, options);
  assert.deepEqual(buildArcCorpus(arc.pretrain, options), docs);
  assert.notDeepEqual(buildArcCorpus(arc.pretrain, { ...options, seed: 2 }), docs);
  // A task's documents do not depend on the other tasks.
  const firstTask = docs.filter((d) => d.task === arc.pretrain[0]!.id);
  assert.deepEqual(buildArcCorpus(arc.pretrain.slice(0, 1), options), firstTask);

  const problems = docs.filter((d) => d.kind === 'problem');
  const selfEdits = docs.filter((d) => d.kind === 'selfedit');
  assert.equal(problems.length, 3 * arc.pretrain.length);
  assert.ok(selfEdits.length >= 4 && selfEdits.length <= arc.pretrain.length - 2, `${selfEdits.length} self-edit documents`);
  assert.deepEqual(new Set(problems.map((d) => d.shots)), new Set([0, 1, 2]));
  // Only pretrain-split tasks: no train or eval task id, no input grid of those splits.
  const heldOut = new Set([...arc.train, ...arc.eval].flatMap((t) => [...t.train, ...t.test]).map((ex) => gridKey(ex.input)));
  const byId = new Map(arc.pretrain.map((t) => [t.id, t]));
  for (const d of docs) {
    const t = byId.get(d.task);
    assert.ok(t, `${d.task} is a pretrain task`);
    for (const ex of [...t.train, ...t.test]) assert.ok(!heldOut.has(gridKey(ex.input)));
  }
  const configs = selfEdits.map((d) => {
    const json = d.text.slice(d.text.lastIndexOf('<|im_start|>assistant\n') + '<|im_start|>assistant\n'.length);
    const parsed = parseSelfEdit(json);
    assert.ok(parsed.ok, `${parsed.ok ? '' : parsed.reason}: ${json}`);
    return parsed.config;
  });
  assert.deepEqual(new Set(configs.map((c) => c.strategy)).size, 2);
  assert.ok(new Set(configs.map((c) => c.learningRate)).size >= 3, 'learning rates vary');
  assert.ok(new Set(configs.map((c) => JSON.stringify(c.augmentations))).size >= 3, 'augmentation choices vary');
});

test('arc corpus: self-edit documents turn each augmentation flag on at augmentationRate; learning rates and epochs stay in the space', () => {
  const drawFlags = (augmentationRate: number | undefined) => {
    const rng = new Rng(7);
    const space = { learningRates: [1e-3, 1e-2], epochs: [2, 4], ...(augmentationRate === undefined ? {} : { augmentationRate }) };
    let on = 0;
    let flags = 0;
    for (let i = 0; i < 500; i++) {
      const text = randomSelfEdit(rng, space);
      const parsed = parseSelfEdit(text);
      assert.ok(parsed.ok, text);
      assert.ok(space.learningRates.includes(parsed.config.learningRate) && space.epochs.includes(parsed.config.numTrainEpochs), text);
      for (const value of Object.values(JSON.parse(text).data_generation as Record<string, boolean>)) {
        flags++;
        if (value) on++;
      }
    }
    return on / flags;
  };
  assert.equal(drawFlags(0), 0);
  assert.equal(drawFlags(1), 1);
  // 2,000 Bernoulli draws: the standard error is about 0.01, so these bounds are 4-5 of them.
  assert.ok(Math.abs(drawFlags(0.25) - 0.25) < 0.045, `rate 0.25 drew ${drawFlags(0.25)}`);
  assert.ok(Math.abs(drawFlags(undefined) - 0.5) < 0.05, `default rate drew ${drawFlags(undefined)}`);
  assert.throws(() => resolveArcCorpusOptions({ selfEditSpace: { learningRates: [1e-3], epochs: [1], augmentationRate: 1.5 } }), /selfEditSpace\.augmentationRate must be in \[0, 1\], got 1\.5/);
});

test('arc corpus: described problems name the rule in the instruction\'s {description} slot; undescribed ones are the plain ARC text', () => {
  const arc = generateMiniArc(SMALL);
  const describe = (t: ArcTask) => arc.rules.get(t.id)!.description;
  const plain = buildArcCorpus(arc.pretrain, { seed: 4, problemsPerTask: 2 }, undefined, describe);
  // describedFraction 0 (the default) draws nothing more: the corpus is the one without a describer.
  assert.deepEqual(plain, buildArcCorpus(arc.pretrain, { seed: 4, problemsPerTask: 2 }));
  assert.ok(plain.filter((d) => d.kind === 'problem').every((d) => d.text.includes(TASK_INSTRUCTION)));
  const all = buildArcCorpus(arc.pretrain, { seed: 4, problemsPerTask: 2, describedFraction: 1 }, undefined, describe);
  const [head, tail] = TASK_INSTRUCTION.split('Here are some examples');
  for (const d of all.filter((x) => x.kind === 'problem')) {
    const rule = arc.rules.get(d.task)!;
    assert.ok(d.text.includes(`${head}${rule.description}. Here are some examples${tail}`), d.text.slice(0, 300));
    assert.ok(!d.text.includes(TASK_INSTRUCTION));
  }
  const half = buildArcCorpus(arc.pretrain, { seed: 4, problemsPerTask: 4, describedFraction: 0.5 }, undefined, describe)
    .filter((d) => d.kind === 'problem');
  const described = half.filter((d) => !d.text.includes(TASK_INSTRUCTION)).length;
  assert.ok(described > 0.3 * half.length && described < 0.7 * half.length, `${described} of ${half.length} described`);
  assert.throws(() => buildArcCorpus(arc.pretrain, { describedFraction: 1.5 }), /describedFraction must be in \[0, 1\]/);
});

test('arc corpus: copy drills are identity demonstrations on random grids, seeded, within their sides, in either format', () => {
  const arc = generateMiniArc(SMALL);
  for (const copyDrillFormat of ['pairs', 'problem'] as const) {
    const options = { seed: 3, copyDrills: 40, copyDrillSides: [2, 5] as [number, number], copyDrillFormat };
    const drills = buildArcCorpus(arc.pretrain, { ...options, problemsPerTask: 1 }).filter((d) => d.kind === 'drill');
    assert.equal(drills.length, 40);
    assert.deepEqual(buildArcCorpus([], options), drills, 'drills do not depend on the tasks');
    assert.notDeepEqual(buildArcCorpus([], { ...options, seed: 4 }), drills);
    const sides = new Set<number>();
    let cells = 0;
    let coloured = 0;
    for (const d of drills) {
      // Every "<input> -> <output>#" of the document (in a problem the answer follows the chat turn).
      const pairs = [...d.text.matchAll(/(\[\[[\d \n[\]]*\]\]) -> (?:<\|im_end\|>\n<\|im_start\|>assistant\n)?(\[\[[\d \n[\]]*\]\])#/g)];
      assert.ok(pairs.length >= 2 && pairs.length <= 3, d.text);
      assert.equal(d.text.includes(TASK_INSTRUCTION), copyDrillFormat === 'problem');
      for (const [, inText, outText] of pairs) {
        const input = parseGridText(inText!);
        assert.ok(input, inText);
        assert.deepEqual(parseGridText(outText!), input);
        sides.add(input.length).add(input[0]!.length);
        for (const row of input) for (const c of row) { cells++; if (c !== 0) coloured++; }
      }
    }
    assert.deepEqual([...sides].sort(), [2, 3, 4, 5]);
    assert.ok(coloured / cells > 0.4 && coloured / cells < 0.8, `share of coloured cells ${coloured / cells}`);
  }
  assert.throws(() => buildArcCorpus([], { copyDrillSides: [4, 3] }), /copyDrillSides must be \[lo, hi\]/);
});

test('arc corpus: documents are exactly the TTT / inference text of the trained tokenizer', () => {
  const dir = microModel();
  const tokenizer = Tokenizer.fromDir(dir);
  const arc = generateMiniArc(SMALL);
  const docs = buildArcCorpus(arc.pretrain, { seed: 1, problemsPerTask: 3, selfEditTaskFraction: 0.6 }, tokenizer);
  // The renderer used before the tokenizer exists renders the same text as the tokenizer's template.
  assert.deepEqual(buildArcCorpus(arc.pretrain, { seed: 1, problemsPerTask: 3, selfEditTaskFraction: 0.6 }, chatmlRenderer()), docs);
  const byId = new Map(arc.pretrain.map((t) => [t.id, t]));
  const sealTask = new ArcSealTask({ tokenizer });
  for (const d of docs as ArcCorpusDocument[]) {
    const t = byId.get(d.task)!;
    if (d.kind === 'problem') {
      // Some (demonstrations, query) of the task renders to exactly this document: the TTT row
      // (prompt + completion), whose prompt is the inference query and whose completion starts with the answer.
      const match = candidates(t).find(({ demonstrations, query }) => {
        const row = tttRow(tokenizer, { demonstrations, test: query });
        return row.prompt + row.completion === d.text;
      });
      assert.ok(match, `${d.task}: no (demonstrations, query) renders to ${JSON.stringify(d.text.slice(0, 120))}`);
      assert.equal(match.demonstrations.length, d.shots);
      const query = renderQuery(tokenizer, match.demonstrations, match.query);
      assert.ok(d.text.startsWith(query + exampleAnswer(match.query.output)));
      // The pretraining tokens begin with exactly the tokens inference feeds the model.
      const promptIds = tokenizer.encode(query, { addSpecialTokens: false });
      assert.deepEqual(tokenizer.encode(d.text).slice(0, promptIds.length), promptIds);
    } else {
      const [context] = arcContexts([t]);
      const prompt = sealTask.selfEditPrompt(context!);
      assert.ok(d.text.startsWith(prompt), `${d.task}: the self-edit document does not start with ArcTask.selfEditPrompt`);
      assert.ok(parseSelfEdit(d.text.slice(prompt.length)).ok);
    }
  }
});

test('seal pretrain --preset micro-arc: a loadable HF model directory with its mini-ARC options and a model card', () => {
  const dir = microModel();
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'training_log.json', 'README.md', 'mini_arc.json']) {
    assert.ok(existsSync(join(dir, f)), f);
  }
  const preset = ARC_PRESETS['micro-arc']!;
  const loaded = loadModel(dir);
  assert.equal(loaded.config.maxPositions, preset.model.maxPositions);
  assert.ok(loaded.tokenizer?.hasChatTemplate);
  const recorded = JSON.parse(readFileSync(join(dir, 'mini_arc.json'), 'utf8'));
  assert.equal(recorded.preset, 'micro-arc');
  assert.deepEqual(recorded.miniArc, generateMiniArc(preset.miniArc).options);
  const card = readFileSync(join(dir, 'README.md'), 'utf8');
  assert.match(card, /mini-ARC benchmark/);
  assert.match(card, new RegExp(`${preset.miniArc.pretrainTasks} tasks`));
  assert.match(card, /\| problem \| \d+ \| \d+ \|/);
  assert.match(card, /\| selfedit \| \d+ \| \d+ \|/);
  assert.doesNotMatch(card, /biograph/i);
  // The untrained policy, measured: 4 self-edits for each of the 6 eval-split tasks.
  assert.match(card, /## Measured after training\n[^]*: \d+ of 24 parse into a configuration/);
  const log = JSON.parse(readFileSync(join(dir, 'training_log.json'), 'utf8'));
  assert.equal(log.preset, 'micro-arc');
  assert.ok(log.steps.length > 0 && log.steps.every((s: { loss: number }) => Number.isFinite(s.loss)));
  // It runs: a greedy answer to a mini-ARC query.
  const task = generateMiniArc(preset.miniArc).eval[0]!;
  const prompt = loaded.tokenizer!.encode(renderQuery(loaded.tokenizer!, task.train, task.test[0]!), { addSpecialTokens: false });
  const [out] = generate(loaded.model, [prompt], { temperature: 0, maxNewTokens: 4, eosTokenIds: loaded.generation.eosTokenIds });
  assert.ok(out!.tokens.length >= 1);
});

test('arc-synthetic index: the module the ARC recipe imports for data.synthetic; pick is seeded and family-balanced', async () => {
  const whole = makeMiniArc(SMALL);
  assert.deepEqual(whole.eval, generateMiniArc(SMALL).eval);
  const picked = makeMiniArc({ ...SMALL, pick: { seed: 0, train: 3, eval: 4 } });
  assert.equal(picked.train.length, 3);
  assert.equal(picked.eval.length, 4);
  assert.deepEqual(picked.pretrain, whole.pretrain);
  const evalIds = new Set(whole.eval.map((t) => t.id));
  assert.ok(picked.eval.every((t) => evalIds.has(t.id)));
  const families = picked.eval.map((t) => whole.rules.get(t.id)!.params.family);
  assert.equal(new Set(families).size, 4, `4 picks from ${new Set(whole.eval.map((t) => whole.rules.get(t.id)!.params.family)).size} families are 4 families`);
  assert.deepEqual(makeMiniArc({ ...SMALL, pick: { seed: 0, train: 3, eval: 4 } }).eval, picked.eval);
  const seeds = [1, 2, 3, 4].map((seed) => pickTasks(whole.eval, whole, 4, `s${seed}`).map((t) => t.id).join());
  assert.ok(new Set(seeds).size > 1, 'other seeds pick other tasks');
  assert.throws(() => makeMiniArc({ ...SMALL, evalTask: 3 } as never), /unknown field 'data.synthetic.evalTask'/);
  assert.throws(() => makeMiniArc({ ...SMALL, pick: { seed: 0, train: -1, eval: 1 } }), /data.synthetic.pick.train/);
  // Through the recipe's loader, as a config file's data.synthetic.
  const cfg = loadArcConfig(null, { data: { synthetic: { ...SMALL, pick: { seed: 0, train: 2, eval: 3 } } } });
  const data = await loadArcData(cfg);
  assert.deepEqual(data.eval.map((c) => c.id), makeMiniArc({ ...SMALL, pick: { seed: 0, train: 2, eval: 3 } }).eval.map((t) => `${t.id}-0`));
  assert.equal(data.train.length, 2);
});

test('seal demo --arc: the demo config picks held-out tasks of the model\'s own mini-ARC split by seed', async () => {
  const dir = microModel();
  const cfg0 = resolveArcDemoConfig({ model: dir, seed: 0, runsDir: join(root, 'unused'), config: small });
  const cfg1 = resolveArcDemoConfig({ model: dir, seed: 1, runsDir: join(root, 'unused'), config: small });
  assert.deepEqual(cfg1.data.synthetic, { ...generateMiniArc(ARC_PRESETS['micro-arc']!.miniArc).options, pick: { seed: 1, train: 2, eval: 2 } });
  assert.deepEqual([cfg1.restem.rounds, cfg1.restem.samplesPerContext, cfg1.task.maxSteps], [2, 2, 4]);
  assert.equal(cfg0.task.maxTokens, ARC_PRESETS['micro-arc']!.model.maxPositions);
  assert.deepEqual(cfg0.task.answerStop, ['#']);
  const [d0, d1] = [await loadArcData(cfg0), await loadArcData(cfg1)];
  assert.notDeepEqual(d0.eval.map((c) => c.id), d1.eval.map((c) => c.id));
  const arc = generateMiniArc(ARC_PRESETS['micro-arc']!.miniArc);
  const pretrainInputs = new Set(arc.pretrain.flatMap((t) => [...t.train, ...t.test]).map((ex) => gridKey(ex.input)));
  for (const c of [...d0.eval, ...d0.train, ...d1.eval]) {
    for (const ex of [...c.train, c.test]) assert.ok(!pretrainInputs.has(gridKey(ex.input)), `${c.id} shares an input with pretraining`);
  }
  // --config overrides the demo's fields; errors name the file and the field.
  const bad = join(root, 'bad.yaml');
  writeFileSync(bad, 'restem: { rounds: -1 }\n');
  assert.throws(() => resolveArcDemoConfig({ model: dir, config: bad }), (err: Error) => err.message.includes(bad) && err.message.includes("'restem.rounds'"));
  const missing = seal('demo', '--arc', '--model', join(root, 'no-model'), '--json');
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /seal pretrain --preset tiny-arc/);
});

test('seal demo --arc --json end to end on the micro model: the JSON line, the run directory, rates from the log', () => {
  const dir = microModel();
  const runs = join(root, 'runs');
  const t0 = performance.now();
  const r = seal('demo', '--arc', '--model', dir, '--runs', runs, '--config', small, '--seed', '2', '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.ok(performance.now() - t0 < 60_000);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'with --json the JSON object is all stdout holds');
  const out = JSON.parse(lines[0]!);
  assert.deepEqual(Object.keys(out).sort(), ['runDir', 'seconds', 'successRate']);
  assert.deepEqual(Object.keys(out.successRate).sort(), ['icl', 'oracle', 'seal', 'tttUntrainedPolicy']);
  assert.equal(out.successRate.seal.length, 2);
  for (const v of [out.successRate.icl, out.successRate.tttUntrainedPolicy, out.successRate.oracle, ...out.successRate.seal]) {
    assert.equal(typeof v, 'number');
    assert.ok(v >= 0 && v <= 1, String(v));
  }
  assert.ok(out.seconds > 0);
  for (const f of ['config.json', 'data.json', 'log.jsonl', 'summary.json', 'report.html', 'checkpoints/round-2/model.safetensors']) {
    assert.ok(existsSync(join(out.runDir, f)), f);
  }
  assert.ok(out.runDir.startsWith(join(runs, 'demo-arc-train-')));
  const config = JSON.parse(readFileSync(join(out.runDir, 'config.json'), 'utf8'));
  assert.equal(config.seed, 2);
  assert.deepEqual(config.data.synthetic.pick, { seed: 2, train: 2, eval: 2 });
  const data = JSON.parse(readFileSync(join(out.runDir, 'data.json'), 'utf8'));
  assert.equal(data.eval.length, 2);
  assert.equal(data.train.length, 2);
  const evalIds = new Set(generateMiniArc(ARC_PRESETS['micro-arc']!.miniArc).eval.map((t) => `${t.id}-0`));
  assert.ok(data.eval.every((id: string) => evalIds.has(id)), data.eval.join());
  // Every rate is what the run log says.
  const entries = readFileSync(join(out.runDir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { key: string; reward?: number });
  const rate = (prefix: string) => {
    const es = entries.filter((e) => e.key.startsWith(prefix));
    assert.ok(es.length > 0, prefix);
    return es.filter((e) => e.reward === 1).length / es.length;
  };
  assert.equal(entries.filter((e) => e.key.startsWith('eval/icl/')).length, 2);
  assert.equal(entries.filter((e) => e.key.startsWith('eval/baseSelfEdits/')).length, 4);
  assert.equal(out.successRate.icl, rate('eval/icl/'));
  assert.equal(out.successRate.tttUntrainedPolicy, rate('eval/baseSelfEdits/'));
  assert.deepEqual(out.successRate.seal, [rate('eval/seal-r1/'), rate('eval/seal-r2/')]);
  const oracleSolved = new Set(entries.filter((e) => e.key.startsWith('eval/oracle/') && e.reward === 1).map((e) => e.key.split('/')[2]));
  assert.equal(out.successRate.oracle, oracleSolved.size / 2);
});

test('arcDemoJson: each rate of the summary in its own field, null for a condition that did not run', () => {
  const summary = { successRate: { icl: 0.1, tttUntrainedPolicy: 0.2, seal: [0.3, 0.4], oracle: 0.5 } } as ArcSummary;
  assert.deepEqual(arcDemoJson({ runDir: 'r', seconds: 7, summary }), {
    runDir: 'r', seconds: 7, successRate: { icl: 0.1, tttUntrainedPolicy: 0.2, seal: [0.3, 0.4], oracle: 0.5 },
  });
  const partial = { successRate: { seal: [] } } as unknown as ArcSummary;
  assert.deepEqual(arcDemoJson({ runDir: 'r', seconds: 1, summary: partial }).successRate, { icl: null, tttUntrainedPolicy: null, seal: [], oracle: null });
});
