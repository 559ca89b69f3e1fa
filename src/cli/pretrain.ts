// `seal pretrain --preset NAME`: train a shipped model from scratch (see src/pretrain/presets.ts).
import { fileURLToPath } from 'node:url';
import { PRESETS, isArcPreset } from '../pretrain/presets.js';
import { pretrain } from '../pretrain/pretrain.js';
import { copyGapSection, fidelitySection, measureCopyGap, measureRecall, measureSelfEditFidelity, recallSection } from '../pretrain/recall.js';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, UsageError } from './args.js';
import { Progress } from '../util/progress.js';

const USAGE = `usage: seal pretrain --preset ${Object.keys(PRESETS).join('|')} [--out DIR] [--json]`;

export async function pretrainCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { preset: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } }, USAGE);
  const preset = PRESETS[values.preset ?? ''];
  if (!preset) throw new UsageError(`--preset must be one of ${Object.keys(PRESETS).join(', ')}\n\n${USAGE}`);
  const out = values.out ?? fileURLToPath(new URL(`../../../models/${preset.name}`, import.meta.url));
  let progress: Progress | null = null;
  const result = pretrain(preset, out, (s) => {
    progress ??= new Progress(`pretrain ${preset.name}`, s.totalSteps);
    progress.update(s.step, `loss ${s.loss.toFixed(3)} lr ${s.lr.toExponential(1)} ${(s.tokens / s.seconds).toFixed(0)} tok/s`, s.seconds);
  });
  (progress as Progress | null)?.done();
  // Recall is a knowledge measurement; ARC models have none.
  const recall = isArcPreset(preset) ? null : await measureRecall(result.dir, preset);
  const fidelity = isArcPreset(preset) ? null : measureSelfEditFidelity(result.dir, preset);
  const copyGap = isArcPreset(preset) ? null : measureCopyGap(result.dir, preset, ['copy', 'restate']);
  if (recall && fidelity && copyGap) appendFileSync(join(result.dir, 'README.md'), recallSection(recall) + fidelitySection(fidelity) + copyGapSection(copyGap));
  const last = result.steps[result.steps.length - 1]!;
  if (values.json) {
    console.log(JSON.stringify({ dir: result.dir, parameters: result.parameters, corpusTokens: result.corpusTokens, seconds: result.seconds, tokensPerSecond: result.tokensPerSecond, finalLoss: last.loss, steps: result.steps.length, recall, fidelity, copyGap }));
  } else {
    const qa = recall ? `; QA accuracy ${(100 * recall.qaPeople).toFixed(1)}% (QA people), ${(100 * recall.bioOnlyPeople).toFixed(1)}% (bio-only people)` : '';
    console.log(`wrote ${result.dir}: ${result.parameters.toLocaleString('en-US')} parameters, ${result.steps.length} steps, final loss ${last.loss.toFixed(3)}, ${(result.seconds / 60).toFixed(1)} min${qa}`);
  }
  return 0;
}
