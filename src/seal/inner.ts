// The inner loop: sample self-edits from the policy (batched), and for one self-edit, finetune a
// temporary LoRA adapter over the shared base, score the updated model, drop the adapter. The
// base is held once in memory; nothing of an inner loop survives it but its result.
import type { LoadedModel } from '../model/load.js';
import { generate } from '../generate/generate.js';
import { LoraAdapter, type LoraTarget } from '../lora/lora.js';
import { tokenizeRow } from '../train/data.js';
import { train, type StepReport } from '../train/trainer.js';
import type { Evaluation, InnerTrainSettings, SealTask } from './task.js';

export interface SamplingConfig {
  temperature: number;
  topP: number;
  maxNewTokens: number;
}

export interface SelfEditSample {
  text: string;
  tokens: number;
}

/** k self-edits for each context, all sequences generated together. */
export function sampleSelfEdits<C>(
  policy: LoadedModel, task: SealTask<C>, contexts: C[], k: number, sampling: SamplingConfig, seed: number,
): SelfEditSample[][] {
  const tokenizer = policy.tokenizer!;
  const prompts = contexts.flatMap((c) => {
    const ids = tokenizer.encode(task.selfEditPrompt(c));
    return Array.from({ length: k }, () => ids);
  });
  const outputs = generate(policy.model, prompts, {
    temperature: sampling.temperature, topP: sampling.topP, maxNewTokens: sampling.maxNewTokens, seed,
    eosTokenIds: policy.generation.eosTokenIds, tokenizer,
  });
  return contexts.map((_, i) => outputs.slice(i * k, (i + 1) * k).map((o) => ({ text: (o.text ?? '').trim(), tokens: o.tokens.length })));
}

export interface InnerLoopHooks {
  /** Called after every optimizer step of the inner loop's training. */
  onStep?: (report: StepReport) => void;
}

export interface InnerResult {
  /** null when the self-edit could not be used (reward 0, recorded as such). */
  reward: number;
  invalid?: string;
  evaluation: Evaluation | null;
  tokensTrained: number;
  trainSteps: number;
  finalLoss: number | null;
  seconds: number;
  settings?: InnerTrainSettings;
  note?: Record<string, unknown>;
}

/** Finetunes a fresh adapter on what the self-edit says, scores the updated model, detaches. */
export async function innerLoop<C>(
  base: LoadedModel, task: SealTask<C>, context: C, selfEdit: string, defaults: InnerTrainSettings, seed: number,
  hooks: InnerLoopHooks = {},
): Promise<InnerResult> {
  const start = performance.now();
  const plan = task.plan(context, selfEdit, defaults);
  if (!plan.ok) {
    return { reward: 0, invalid: plan.reason, evaluation: null, tokensTrained: 0, trainSteps: 0, finalLoss: null, seconds: (performance.now() - start) / 1000 };
  }
  const s = plan.settings;
  const { schedule = 'linear', warmup = 0 } = s;
  const tokenizer = base.tokenizer!;
  const examples = plan.rows.map((row) => tokenizeRow(row, tokenizer, { completionOnly: s.completionOnly }));
  const adapter = LoraAdapter.create(base.model, { rank: s.rank, alpha: s.alpha, dropout: s.dropout, targets: s.targets as LoraTarget[] }, seed);
  adapter.attach(base.model);
  try {
    const epochSteps = Math.ceil(examples.length / (s.batchSize * s.gradAccum));
    const steps = s.maxSteps !== undefined ? Math.min(s.maxSteps, epochSteps * s.epochs) : undefined;
    const result = train(base.model, adapter.parameters(), examples, {
      lr: s.lr, epochs: s.epochs, steps, batchSize: s.batchSize, gradAccum: s.gradAccum, optimizer: 'adamw',
      schedule, warmup, maxGradNorm: 1, seed, padId: tokenizer.eosId ?? 0,
      beforeMicroBatch: (i) => { adapter.dropoutSeed = seed * 7919 + i; }, onStep: hooks.onStep,
    });
    const evaluation = await task.evaluate(base, context);
    const trained = result.steps.length ? result.steps[result.steps.length - 1]!.tokens : 0;
    return {
      reward: evaluation.reward, evaluation, tokensTrained: trained, trainSteps: result.steps.length,
      finalLoss: result.steps.length ? result.steps[result.steps.length - 1]!.loss : null,
      seconds: (performance.now() - start) / 1000, settings: s, note: plan.note,
    };
  } finally {
    LoraAdapter.detach(base.model);
  }
}
