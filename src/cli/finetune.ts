// `seal finetune`: LoRA (default) or full finetuning on a JSONL file.
import { loadModel } from '../model/load.js';
import { LoraAdapter, LORA_TARGETS, type LoraTarget } from '../lora/lora.js';
import { readJsonl, tokenizeRow } from '../train/data.js';
import { train, TrainingError, type StepReport } from '../train/trainer.js';
import { saveModel } from '../model/save.js';
import { modelDir, numberFlag, parse, UsageError } from './args.js';
import { Progress } from '../util/progress.js';

const USAGE = `usage: seal finetune --model DIR --data FILE.jsonl --out DIR [--init-adapter DIR] [--rank R] [--alpha A]
                     [--targets q_proj,v_proj,...] [--lr X] [--epochs N | --steps N] [--batch-size B]
                     [--grad-accum N] [--optimizer adamw|sgd] [--weight-decay W] [--max-grad-norm G (0 = no clipping)]
                     [--dropout P] [--schedule constant|linear|cosine] [--warmup N] [--completion-only]
                     [--pack N] [--gradient-checkpointing] [--full] [--seed S] [--json]`;

export async function finetuneCommand(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, {
    model: { type: 'string' }, data: { type: 'string' }, out: { type: 'string' }, 'init-adapter': { type: 'string' },
    rank: { type: 'string' }, alpha: { type: 'string' }, targets: { type: 'string' }, lr: { type: 'string' },
    epochs: { type: 'string' }, steps: { type: 'string' }, 'batch-size': { type: 'string' }, 'grad-accum': { type: 'string' },
    optimizer: { type: 'string' }, 'weight-decay': { type: 'string' }, 'max-grad-norm': { type: 'string' },
    dropout: { type: 'string' }, schedule: { type: 'string' }, warmup: { type: 'string' },
    'completion-only': { type: 'boolean' }, pack: { type: 'string' }, 'gradient-checkpointing': { type: 'boolean' },
    full: { type: 'boolean' }, seed: { type: 'string' }, json: { type: 'boolean' }, 'max-length': { type: 'string' },
  }, USAGE);
  if (!v.data) throw new UsageError(`--data is required\n\n${USAGE}`);
  if (!v.out) throw new UsageError(`--out is required\n\n${USAGE}`);
  if (v.epochs !== undefined && v.steps !== undefined) throw new UsageError('give --epochs or --steps, not both');
  const optimizer = v.optimizer ?? 'adamw';
  if (optimizer !== 'adamw' && optimizer !== 'sgd') throw new UsageError(`--optimizer must be adamw or sgd, got '${optimizer}'`);
  const schedule = v.schedule ?? 'linear';
  if (schedule !== 'constant' && schedule !== 'linear' && schedule !== 'cosine') throw new UsageError(`--schedule must be constant, linear or cosine, got '${schedule}'`);
  const targets = (v.targets ?? 'q_proj,v_proj').split(',').map((t) => t.trim()).filter(Boolean);
  for (const t of targets) if (!(LORA_TARGETS as readonly string[]).includes(t)) throw new UsageError(`--targets: '${t}' is not one of ${LORA_TARGETS.join(',')}`);
  if (v.full && v['init-adapter']) throw new UsageError('--full trains every weight; it takes no --init-adapter');
  const seed = numberFlag(v.seed, 'seed', 0, { integer: true });

  const rows = readJsonl(v.data);
  // Full finetuning needs fp32 weights to update; LoRA keeps the base as the file has it.
  const loaded = loadModel(modelDir(v.model), { dtype: v.full ? 'f32' : 'auto' });
  const { model, tokenizer } = loaded;
  if (!tokenizer) throw new Error(`${loaded.dir}: no tokenizer.json, cannot tokenise ${v.data}`);
  const maxLength = numberFlag(v['max-length'], 'max-length', 0, { integer: true, min: 0 }) || undefined;
  const examples = rows.map((row, i) => {
    try {
      return tokenizeRow(row, tokenizer, { completionOnly: v['completion-only'] ?? false, maxLength });
    } catch (err) {
      throw new Error(`${v.data}:${i + 1}: ${(err as Error).message}`);
    }
  });

  let adapter: LoraAdapter | null = null;
  let params;
  if (v.full) {
    params = [...model.params.values()];
    for (const p of params) p.requiresGrad = true;
  } else {
    adapter = v['init-adapter']
      ? LoraAdapter.load(v['init-adapter'], model, { trainable: true })
      : LoraAdapter.create(model, {
        rank: numberFlag(v.rank, 'rank', 8, { integer: true, min: 1 }),
        alpha: numberFlag(v.alpha, 'alpha', 16, { min: 0 }),
        dropout: numberFlag(v.dropout, 'dropout', 0, { min: 0 }),
        targets: targets as LoraTarget[],
      }, seed);
    adapter.attach(model);
    params = adapter.parameters();
  }

  const json = v.json ?? false;
  const steps: { step: number; loss: number; lr: number }[] = [];
  let progress = null as Progress | null;
  const save = () => {
    if (adapter) adapter.save(v.out!, loaded.dir);
    else saveModel(model, v.out!, loaded.dir);
  };
  let result;
  try {
    result = train(model, params, examples, {
      lr: numberFlag(v.lr, 'lr', v.full ? 1e-5 : 1e-4, { min: 0 }),
      epochs: v.steps === undefined ? numberFlag(v.epochs, 'epochs', 1, { integer: true, min: 1 }) : undefined,
      steps: v.steps === undefined ? undefined : numberFlag(v.steps, 'steps', 1, { integer: true, min: 1 }),
      batchSize: numberFlag(v['batch-size'], 'batch-size', 1, { integer: true, min: 1 }),
      gradAccum: numberFlag(v['grad-accum'], 'grad-accum', 1, { integer: true, min: 1 }),
      optimizer, schedule,
      weightDecay: numberFlag(v['weight-decay'], 'weight-decay', 0, { min: 0 }),
      maxGradNorm: numberFlag(v['max-grad-norm'], 'max-grad-norm', 1, { min: 0 }),
      warmup: numberFlag(v.warmup, 'warmup', 0, { integer: true, min: 0 }),
      packLength: v.pack === undefined ? undefined : numberFlag(v.pack, 'pack', 0, { integer: true, min: 1 }),
      padId: tokenizer.eosId ?? 0,
      seed,
      gradientCheckpointing: v['gradient-checkpointing'] ?? false,
      beforeMicroBatch: adapter ? (i) => { adapter!.dropoutSeed = seed * 1_000_003 + i; } : undefined,
      onStep: (s: StepReport) => {
        steps.push({ step: s.step, loss: s.loss, lr: s.lr });
        progress ??= new Progress('finetune', s.totalSteps);
        progress.update(s.step, `loss ${s.loss.toFixed(4)} ${(s.tokens / s.seconds).toFixed(0)} tok/s`, s.seconds);
      },
    });
  } catch (err) {
    progress?.done();
    if (err instanceof TrainingError && steps.length > 0) {
      save();
      throw new Error(`${err.message}; the weights after step ${steps.length} are saved in ${v.out}`);
    }
    throw err;
  }
  progress?.done();
  save();
  if (json) {
    console.log(JSON.stringify({ steps, tokensPerSecond: result.tokensPerSecond, peakRssBytes: process.resourceUsage().maxRSS * 1024 }));
  } else {
    const last = steps[steps.length - 1]!;
    console.log(`${steps.length} steps, final loss ${last.loss.toFixed(4)}, ${result.tokensPerSecond.toFixed(0)} tokens/s; wrote ${v.out}`);
  }
  return 0;
}
