// The pretraining recipe, start to finish: synthetic benchmark → corpus → byte-level BPE
// tokenizer → random-init Llama → full training → a standard Hugging Face model directory with a
// model card. Deterministic for a preset (same seed, same thread count → same loss curve).
// Knowledge presets read the synthetic biography benchmark; ARC presets (`kind: 'arc'`) the
// mini-ARC pretrain split, rendered in the ARC inference / TTT format (arc-corpus.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBenchmark } from '../tasks/synthetic/benchmark.js';
import { buildCorpus, copyDrillDocuments, corpusStats, corpusTexts, freshSelfEditDocuments } from '../tasks/synthetic/corpus.js';
import { makeMiniArc, type ResolvedMiniArcOptions } from '../tasks/arc-synthetic/benchmark.js';
import { trainBpe, writeTokenizer } from '../tokenizer/train-bpe.js';
import { Tokenizer } from '../model/tokenizer.js';
import { parseConfig } from '../model/config.js';
import { initWeights } from '../model/random.js';
import { Transformer } from '../model/transformer.js';
import { saveModel } from '../model/save.js';
import { train, type StepReport } from '../train/trainer.js';
import { packExamples, type Example } from '../train/data.js';
import { arcCorpusStats, buildArcCorpus, resolveArcCorpusOptions, type ResolvedArcCorpusOptions } from './arc-corpus.js';
import { loadModel } from '../model/load.js';
import { sampleSelfEdits } from '../seal/inner.js';
import type { ArcTask as ArcTaskData } from '../tasks/arc/data.js';
import { parseSelfEdit, type ArcSelfEditConfig } from '../tasks/arc/self-edit.js';
import { ArcTask, arcContexts } from '../tasks/arc/task.js';
import { isArcPreset, type AnyPretrainPreset, type ArcPretrainPreset, type PretrainPreset } from './presets.js';

export interface PretrainResult {
  dir: string;
  parameters: number;
  corpusTokens: number;
  steps: { step: number; loss: number; lr: number }[];
  seconds: number;
  tokensPerSecond: number;
}

/** What the model card needs of a run, beyond the preset. */
interface RunFacts {
  parameters: number; corpusTokens: number; stepsPerEpoch: number;
  steps: { loss: number }[]; seconds: number; tokensPerSecond: number;
  /** Documents cut at the pack length. */
  truncated: number;
  /** The tokenizer's vocabulary (BPE may stop below the preset's size when no pair repeats). */
  vocabSize: number;
}

/** A preset's documents: texts for the tokenizer, texts to train on, and its model card. */
interface Corpus {
  bpeTexts: string[];
  documents: string[];
  /** Documents that change from epoch to epoch (trained on beside `documents`). */
  epochDocuments?: (epoch: number) => string[];
  card(r: RunFacts): string;
  /** ARC presets: what the model directory records in mini_arc.json. */
  miniArc?: { miniArc: ResolvedMiniArcOptions; corpus: ResolvedArcCorpusOptions };
  /** A model-card section measured on the saved model. */
  measure?(dir: string): string;
}

/** Where an ARC model records the mini-ARC options it was made with (read by `seal demo --arc`). */
export const MINI_ARC_OPTIONS_FILE = 'mini_arc.json';

function knowledgeCorpus(preset: PretrainPreset): Corpus {
  const bench = makeBenchmark({ seed: preset.seed, ...preset.benchmark });
  const others = [...bench.rlPeople, ...bench.evalPeople];
  const docs = buildCorpus(bench.pretrain, preset.corpus, others);
  const drawnForEpoch = (epoch: number) => [
    ...freshSelfEditDocuments(epoch, preset.corpus, [...bench.pretrain, ...others]), ...copyDrillDocuments(epoch, preset.corpus),
  ];
  const perEpoch = drawnForEpoch(0);
  return {
    bpeTexts: corpusTexts([...docs, ...perEpoch]),
    documents: docs.map((d) => d.text),
    epochDocuments: perEpoch.length > 0 ? (epoch) => corpusTexts(epoch === 0 ? perEpoch : drawnForEpoch(epoch)) : undefined,
    card: (r) => modelCard(preset, { ...r, documents: corpusStats([...docs, ...perEpoch]) }),
  };
}

function arcCorpus(preset: ArcPretrainPreset): Corpus {
  const arc = makeMiniArc(preset.miniArc);
  const docs = buildArcCorpus(arc.pretrain, preset.corpus, undefined, (t) => arc.rules.get(t.id)!.description);
  const rules = new Set(arc.pretrain.map((t) => arc.rules.get(t.id)!.key));
  const corpusOptions = resolveArcCorpusOptions(preset.corpus);
  return {
    bpeTexts: docs.map((d) => d.text),
    documents: docs.map((d) => d.text),
    miniArc: { miniArc: arc.options, corpus: corpusOptions },
    card: (r) => arcModelCard(preset, arc.options, corpusOptions, { ...r, documents: arcCorpusStats(docs), tasks: arc.pretrain.length, rules: rules.size }),
    measure: (dir) => selfEditSection(measureSelfEdits(dir, arc.eval)),
  };
}

export function pretrain(preset: AnyPretrainPreset, dir: string, onStep?: (s: StepReport) => void): PretrainResult {
  const start = performance.now();
  mkdirSync(dir, { recursive: true });
  const corpus = isArcPreset(preset) ? arcCorpus(preset) : knowledgeCorpus(preset);
  const bpe = trainBpe(corpus.bpeTexts, { vocabSize: preset.model.vocabSize, modelMaxLength: preset.model.maxPositions });
  writeTokenizer(dir, bpe);
  const tokenizer = new Tokenizer(bpe.tokenizerJson as Record<string, unknown>, bpe.tokenizerConfig as Record<string, unknown>, dir);
  const eos = tokenizer.eosId!;
  let truncated = 0;
  const encode = (texts: string[]): Example[] => texts.map((text) => {
    const ids = [...tokenizer.encode(text), eos];
    if (ids.length > preset.train.packLength) truncated++;
    return { ids: ids.slice(0, preset.train.packLength), learn: ids.map(() => true).slice(0, preset.train.packLength) };
  });
  const t = preset.train;
  // With per-epoch documents, every epoch's examples are built up front and trained as one pass
  // (shuffled together): the schedule and step count are those of `epochs` epochs either way.
  const fixed = encode(corpus.documents);
  const examples: Example[] = corpus.epochDocuments
    ? Array.from({ length: t.epochs }, (_, e) => [...fixed, ...encode(corpus.epochDocuments!(e))]).flat()
    : fixed;
  const epochsInExamples = corpus.epochDocuments ? t.epochs : 1;
  const corpusTokens = Math.round(examples.reduce((n, e) => n + e.ids.length, 0) / epochsInExamples);

  const m = preset.model;
  const raw = {
    architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: m.hiddenSize, intermediate_size: m.intermediateSize,
    num_hidden_layers: m.numLayers, num_attention_heads: m.numHeads, num_key_value_heads: m.numKvHeads,
    vocab_size: bpe.vocabSize, max_position_embeddings: m.maxPositions, rms_norm_eps: 1e-5, rope_theta: m.ropeTheta,
    hidden_act: 'silu', tie_word_embeddings: true, attention_bias: false, bos_token_id: null, eos_token_id: eos,
    initializer_range: 0.02, torch_dtype: 'float32',
  };
  const config = parseConfig(raw, join(dir, 'config.json'));
  const model = new Transformer(config, initWeights(config, preset.seed, 0.02));
  const params = [...model.params.values()];
  for (const p of params) p.requiresGrad = true;
  const parameters = params.reduce((n, p) => n + p.numel, 0);

  const steps: PretrainResult['steps'] = [];
  const stepsPerEpoch = Math.round(packExamples(examples, t.packLength).length / epochsInExamples);
  const result = train(model, params, examples, {
    lr: t.lr, epochs: t.epochs / epochsInExamples, packLength: t.packLength, padId: eos, schedule: 'cosine', warmup: t.warmup,
    weightDecay: t.weightDecay, maxGradNorm: t.maxGradNorm, seed: preset.seed, optimizer: 'adamw',
    minLrFraction: t.minLrFraction,
    onStep: (s) => {
      steps.push({ step: s.step, loss: s.loss, lr: s.lr });
      onStep?.(s);
    },
  });
  for (const p of params) p.requiresGrad = false;
  saveModel(model, dir);
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: eos, max_new_tokens: 256 }, null, 2));
  writeFileSync(join(dir, 'training_log.json'), JSON.stringify({ preset: preset.name, steps }, null, 0));
  if (corpus.miniArc) writeFileSync(join(dir, MINI_ARC_OPTIONS_FILE), JSON.stringify({ preset: preset.name, ...corpus.miniArc }, null, 2));
  const seconds = (performance.now() - start) / 1000;
  writeFileSync(join(dir, 'README.md'), corpus.card({
    parameters, corpusTokens, stepsPerEpoch, steps, seconds, tokensPerSecond: result.tokensPerSecond, truncated, vocabSize: bpe.vocabSize,
  }) + (corpus.measure?.(dir) ?? ''));
  return { dir, parameters, corpusTokens, steps, seconds, tokensPerSecond: result.tokensPerSecond };
}

const pctOf = (f: number): string => `${Math.round(100 * f)}%`;
const selfEditPeople = (p: PretrainPreset): string => `${pctOf(p.corpus.selfEditPeopleFraction ?? 0.5)} of them` +
  (p.corpus.freshSelfEditPeople
    ? ` and ${p.corpus.freshSelfEditPeople} further people who appear nowhere else (so values can only be copied from the passage)`
    : '');

/** What the card says about the documents drawn anew every epoch (none, fresh demonstrations, drills). */
function perEpochDocuments(p: PretrainPreset): string {
  const fresh = p.corpus.freshSelfEditPeoplePerEpoch ?? 0;
  const drills = p.corpus.copyDrillsPerEpoch ?? 0;
  const parts: string[] = [];
  if (fresh > 0) {
    parts.push(`${fresh} further demonstrations about people who appear nowhere else, drawn anew every epoch (their values can
only be copied from the passage, never recalled)`);
  }
  if (drills > 0) {
    parts.push(`${drills} copy drills (a sequence of 8-16 attribute values, then the same sequence again), also drawn
anew every epoch: they form the induction circuit (attend to the earlier occurrence of the current
token, predict what followed it) on which copying values out of a passage builds (see "Whether it
reads values out of the passage" below)`);
  }
  return parts.length ? `\nBesides, per epoch: ${parts.join('; and ')}. The tables count epoch 0's.` : '';
}

/** The corpus table and the training paragraph both model cards share. */
function corpusAndTraining(
  p: { train: PretrainPreset['train'] },
  r: RunFacts & { documents: { byKind: Record<string, { documents: number; characters: number }> }; truncated?: number },
): string {
  const first = r.steps[0]?.loss ?? NaN;
  const last = r.steps[r.steps.length - 1]?.loss ?? NaN;
  return `| kind | documents | characters |
| --- | --- | --- |
${Object.entries(r.documents.byKind).map(([k, v]) => `| ${k} | ${v.documents} | ${v.characters} |`).join('\n')}

${r.corpusTokens.toLocaleString('en-US')} tokens per epoch, packed into rows of ${p.train.packLength} tokens
(documents do not attend to each other)${r.truncated ? `; ${r.truncated} documents were cut at ${p.train.packLength} tokens` : ''}.

## Training
AdamW (lr ${p.train.lr}, cosine decay to ${p.train.minLrFraction * 100}% after ${p.train.warmup} warmup steps, weight decay
${p.train.weightDecay}, clipping ${p.train.maxGradNorm}), ${p.train.epochs} epochs = ${r.steps.length} steps (${r.stepsPerEpoch} per epoch), on CPU
with SEAL.ts's own trainer: ${(r.seconds / 60).toFixed(1)} minutes, ${r.tokensPerSecond.toFixed(0)} tokens/s. Loss
${first.toFixed(3)} → ${last.toFixed(3)}.`;
}

function modelCard(p: PretrainPreset, r: RunFacts & { documents: ReturnType<typeof corpusStats> }): string {
  const m = p.model;
  return `# ${p.name}: SEAL.ts's offline default model

${p.description}. Written by \`seal pretrain --preset ${p.name}\` (seed ${p.seed}); running it again
reproduces this directory (same loss curve, \`training_log.json\`).

## Architecture
LlamaForCausalLM: hidden ${m.hiddenSize}, ${m.numLayers} layers, ${m.numHeads} attention heads (${m.numKvHeads} KV heads,
grouped-query), SwiGLU MLP ${m.intermediateSize}, RMSNorm, rotary embeddings (theta ${m.ropeTheta}), tied input/output
embeddings, ${r.parameters.toLocaleString('en-US')} parameters, fp32. Tokenizer: byte-level BPE with ${m.vocabSize} tokens
trained on the same corpus; \`<|endoftext|>\` ends every document (EOS), there is no BOS, and a ChatML chat
template is included.

## Training data
Only synthetic text about fictional people (the benchmark of \`src/tasks/synthetic\`, seed ${p.seed}): the
${p.benchmark.pretrainPeople} *pretraining* people of the benchmark. None of the RL-training or evaluation people
appear. Per person: ${p.corpus.biosPerPerson ?? 5} biographies in varied phrasings and sentence orders; for
${pctOf(p.corpus.qaPeopleFraction ?? 0.5)} of them, question/answer documents in the knowledge task's QA prompt format
(${p.corpus.qaPerAttribute ?? 1} phrasing(s) per attribute; the others are seen in biographies only); for
${selfEditPeople(p)}, ${p.corpus.selfEditsPerPerson ?? 1} demonstration(s) each of the \`implications\`
self-edit prompt followed by self-edits of deliberately mixed quality (full restatements, numbered lists,
question/answer pairs, partial or loose paraphrases, filler, a few with wrong values, verbatim copies).${perEpochDocuments(p)}

${corpusAndTraining(p, r)}

## What it can do
- Write biographies and answer questions, in the QA prompt format, about the people it was trained on.
- Write self-edits (lists of implications) for a new biography in the \`implications\` prompt format,
  of varied quality: the raw material SEAL's ReST-EM selects from.
- It knows nothing about people outside its corpus: questions about a new person are answered from the
  attribute pools' base rates (near chance) until the model is finetuned on that person's passage.
- It is not a general language model: outside this narrow domain it produces fluent-looking nonsense.
`;
}

function arcModelCard(
  p: ArcPretrainPreset, arc: ResolvedMiniArcOptions, c: ResolvedArcCorpusOptions,
  r: RunFacts & { documents: ReturnType<typeof arcCorpusStats>; tasks: number; rules: number },
): string {
  const m = p.model;
  const shots = Object.entries(r.documents.byShots).map(([k, v]) => `${v} with ${k} demonstration${k === '1' ? '' : 's'}`).join(', ');
  const space = c.selfEditSpace;
  return `# ${p.name}: SEAL.ts's offline ARC model

${p.description}. Written by \`seal pretrain --preset ${p.name}\` (seed ${p.seed}); running it again
reproduces this directory (same loss curve, \`training_log.json\`). \`${MINI_ARC_OPTIONS_FILE}\` records the
mini-ARC generator options it was made with; \`seal demo --arc\` reads them to pick its tasks.

## Architecture
LlamaForCausalLM: hidden ${m.hiddenSize}, ${m.numLayers} layers, ${m.numHeads} attention heads (${m.numKvHeads} KV heads,
grouped-query), SwiGLU MLP ${m.intermediateSize}, RMSNorm, rotary embeddings (theta ${m.ropeTheta}), tied input/output
embeddings, ${r.parameters.toLocaleString('en-US')} parameters, fp32, context ${m.maxPositions} tokens. Tokenizer: byte-level BPE with
${r.vocabSize} tokens (of at most ${m.vocabSize}; no further pair repeats) trained on the same corpus; \`<|endoftext|>\` ends every document (EOS), there is no BOS, and
a ChatML chat template is included (the ARC prompts below are rendered through it).

## Training data
Only synthetic ARC-style grid puzzles: the *pretrain* split of the mini-ARC benchmark
(\`src/tasks/arc-synthetic\`, seed ${arc.seed}): ${r.tasks} tasks over ${r.rules} rules of the families ${arc.families.join(', ')};
grid sides ${arc.minSide}-${arc.maxSide}, ${arc.minDemonstrations}-${arc.maxDemonstrations} demonstrations per task. The same generator call
also makes a train split (${arc.trainTasks} tasks) and an eval split (${arc.evalTasks} tasks) whose input grids never
appear here; in families with at least ${arc.disjointRuleMinimum} rules (the colour maps) those splits also have
rules of their own (${Math.round(100 * arc.heldOutRuleFraction)}% each), the small families (symmetries, gravity directions, ...) share
rules across splits but not grids.

${c.copyDrills > 0 ? 'Three' : 'Two'} kinds of documents (corpus seed ${c.seed}):
- *problems*, ${c.problemsPerTask} per task: the ARC test-time-training text of spec arc.md §2.1 — instruction,
  grid sentence, demonstrations as \`<input> -> <output>#\`, the query grid as the user turn, the answer grid +
  \`#\` as the assistant turn — exactly as \`src/tasks/arc\` renders TTT examples and inference queries
  (${shots}; any example of the task, test pair included, can be the query);
- *self-edits*, for ${Math.round(100 * c.selfEditTaskFraction)}% of the tasks (${c.selfEditsPerTask} each): the §3.1 self-edit prompt
  (the task's demonstrations as rows of digits + the configuration instructions) followed by a
  configuration drawn at random — each augmentation flag true with probability ${space.augmentationRate}, either strategy,
  learning rate in {${space.learningRates.join(', ')}}, epochs in {${space.epochs.join(', ')}} (uniformly) — as JSON laid out like
  the prompt's example. The random choices carry no information about what works: that is what SEAL's
  ReST-EM rounds have to learn.${c.copyDrills > 0 ? `
- *copy drills*, ${c.copyDrills}: identity tasks on random grids of sides ${c.copyDrillSides[0]}-${c.copyDrillSides[1]} (${c.copyDrillFormat === 'problem'
    ? 'each the full TTT text of a problem whose answer is its query grid'
    : '2-3 bare \`<grid> -> <grid>#\` lines'}): they teach nothing about any rule, only to read a
  cell of the query back at its place in the answer, which colour maps and moves are built on.` : ''}

${corpusAndTraining(p, r)}

## What it is for
- Answering mini-ARC queries in the ARC inference format (a grid followed by \`#\`), in context or after
  test-time training on a task's demonstrations.
- Writing self-edits (test-time-training configurations as JSON) for the §3.1 prompt: drawn from
  the whole configuration space (how many parse is measured below), untrained in which one is good.
- It knows nothing outside these grid puzzles.
`;
}

export interface SelfEditMeasurement {
  tasks: number;
  samples: number;
  parsed: number;
  /** Distinct parsed configurations. */
  distinct: number;
  /** Parsed configurations per learning rate and per epoch count. */
  learningRates: Record<string, number>;
  epochs: Record<string, number>;
}

/**
 * The untrained policy the ARC demo starts from: k self-edits (§3.2 sampling: temperature 0.8,
 * 128 tokens) for each of the first n eval-split tasks, and how many parse into a configuration.
 */
export function measureSelfEdits(dir: string, evalTasks: readonly ArcTaskData[], n = 10, k = 4): SelfEditMeasurement {
  const loaded = loadModel(dir);
  const task = new ArcTask({ tokenizer: loaded.tokenizer! });
  const contexts = arcContexts(evalTasks.slice(0, n));
  const samples = sampleSelfEdits(loaded, task, contexts, k, { temperature: 0.8, topP: 1, maxNewTokens: 128 }, 0).flat();
  const configs: ArcSelfEditConfig[] = [];
  for (const s of samples) {
    const p = parseSelfEdit(s.text);
    if (p.ok) configs.push(p.config);
  }
  const count = (values: number[]) => values.reduce<Record<string, number>>((m, v) => ({ ...m, [v]: (m[v] ?? 0) + 1 }), {});
  return {
    tasks: contexts.length, samples: samples.length, parsed: configs.length,
    distinct: new Set(configs.map((c) => JSON.stringify(c))).size,
    learningRates: count(configs.map((c) => c.learningRate)), epochs: count(configs.map((c) => c.numTrainEpochs)),
  };
}

function selfEditSection(m: SelfEditMeasurement): string {
  const list = (r: Record<string, number>) => Object.entries(r).sort(([a], [b]) => Number(a) - Number(b)).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none';
  return `
## Measured after training
Self-edits sampled for the first ${m.tasks} tasks of the mini-ARC eval split, ${m.samples / Math.max(1, m.tasks)} each (temperature
0.8, at most 128 tokens): ${m.parsed} of ${m.samples} parse into a configuration, ${m.distinct} of them distinct
(learning rates ${list(m.learningRates)}; epochs ${list(m.epochs)}).
`;
}
