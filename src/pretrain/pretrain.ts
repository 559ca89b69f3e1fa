// The pretraining recipe, start to finish: synthetic benchmark → corpus → byte-level BPE
// tokenizer → random-init Llama → full training → a standard Hugging Face model directory with a
// model card. Deterministic for a preset (same seed, same thread count → same loss curve).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBenchmark } from '../tasks/synthetic/benchmark.js';
import { buildCorpus, corpusStats, corpusTexts } from '../tasks/synthetic/corpus.js';
import { trainBpe, writeTokenizer } from '../tokenizer/train-bpe.js';
import { Tokenizer } from '../model/tokenizer.js';
import { parseConfig } from '../model/config.js';
import { initWeights } from '../model/random.js';
import { Transformer } from '../model/transformer.js';
import { saveModel } from '../model/save.js';
import { train, type StepReport } from '../train/trainer.js';
import { packExamples, type Example } from '../train/data.js';
import type { PretrainPreset } from './presets.js';

export interface PretrainResult {
  dir: string;
  parameters: number;
  corpusTokens: number;
  steps: { step: number; loss: number; lr: number }[];
  seconds: number;
  tokensPerSecond: number;
}

export function pretrain(preset: PretrainPreset, dir: string, onStep?: (s: StepReport) => void): PretrainResult {
  const start = performance.now();
  mkdirSync(dir, { recursive: true });
  const bench = makeBenchmark({ seed: preset.seed, ...preset.benchmark });
  const docs = buildCorpus(bench.pretrain, preset.corpus, [...bench.rlPeople, ...bench.evalPeople]);
  const bpe = trainBpe(corpusTexts(docs), { vocabSize: preset.model.vocabSize, modelMaxLength: preset.model.maxPositions });
  writeTokenizer(dir, bpe);
  const tokenizer = new Tokenizer(bpe.tokenizerJson as Record<string, unknown>, bpe.tokenizerConfig as Record<string, unknown>, dir);
  const eos = tokenizer.eosId!;
  const examples: Example[] = docs.map((d) => {
    const ids = [...tokenizer.encode(d.text), eos];
    return { ids: ids.slice(0, preset.train.packLength), learn: ids.map(() => true).slice(0, preset.train.packLength) };
  });
  const corpusTokens = examples.reduce((n, e) => n + e.ids.length, 0);

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

  const t = preset.train;
  const steps: PretrainResult['steps'] = [];
  const stepsPerEpoch = packExamples(examples, t.packLength).length;
  const result = train(model, params, examples, {
    lr: t.lr, epochs: t.epochs, packLength: t.packLength, padId: eos, schedule: 'cosine', warmup: t.warmup,
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
  const seconds = (performance.now() - start) / 1000;
  const stats = corpusStats(docs);
  writeFileSync(join(dir, 'README.md'), modelCard(preset, {
    parameters, corpusTokens, documents: stats, stepsPerEpoch, steps, seconds, tokensPerSecond: result.tokensPerSecond,
  }));
  return { dir, parameters, corpusTokens, steps, seconds, tokensPerSecond: result.tokensPerSecond };
}

const pctOf = (f: number): string => `${Math.round(100 * f)}%`;
const selfEditPeople = (p: PretrainPreset): string => (p.corpus.freshSelfEditPeople
  ? `${p.corpus.freshSelfEditPeople} further people who appear nowhere else (so values can only be copied from the passage)`
  : `${pctOf(p.corpus.selfEditPeopleFraction ?? 0.5)} of them`);

function modelCard(p: PretrainPreset, r: {
  parameters: number; corpusTokens: number; documents: ReturnType<typeof corpusStats>; stepsPerEpoch: number;
  steps: { loss: number }[]; seconds: number; tokensPerSecond: number;
}): string {
  const m = p.model;
  const first = r.steps[0]?.loss ?? NaN;
  const last = r.steps[r.steps.length - 1]?.loss ?? NaN;
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
question/answer pairs, partial or loose paraphrases, filler, a few with wrong values, verbatim copies).

| kind | documents | characters |
| --- | --- | --- |
${Object.entries(r.documents.byKind).map(([k, v]) => `| ${k} | ${v.documents} | ${v.characters} |`).join('\n')}

${r.corpusTokens.toLocaleString('en-US')} tokens per epoch, packed into rows of ${p.train.packLength} tokens
(documents do not attend to each other).

## Training
AdamW (lr ${p.train.lr}, cosine decay to ${p.train.minLrFraction * 100}% after ${p.train.warmup} warmup steps, weight decay
${p.train.weightDecay}, clipping ${p.train.maxGradNorm}), ${p.train.epochs} epochs = ${r.steps.length} steps (${r.stepsPerEpoch} per epoch), on CPU
with SEAL.ts's own trainer: ${(r.seconds / 60).toFixed(1)} minutes, ${r.tokensPerSecond.toFixed(0)} tokens/s. Loss
${first.toFixed(3)} → ${last.toFixed(3)}.

## What it can do
- Write biographies and answer questions, in the QA prompt format, about the people it was trained on.
- Write self-edits (lists of implications) for a new biography in the \`implications\` prompt format,
  of varied quality: the raw material SEAL's ReST-EM selects from.
- It knows nothing about people outside its corpus: questions about a new person are answered from the
  attribute pools' base rates (near chance) until the model is finetuned on that person's passage.
- It is not a general language model: outside this narrow domain it produces fluent-looking nonsense.
`;
}
