// `seal arc <train|eval> --config FILE`: the ARC few-shot recipe.
import { loadArcConfig } from '../recipes/arc-config.js';
import { runArc, type ArcSummary } from '../recipes/arc.js';
import { parse, UsageError } from './args.js';

const USAGE = 'usage: seal arc <train|eval> --config FILE [--model DIR] [--seed S] [--workers N] [--fresh] [--json]';

export async function arcCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    config: { type: 'string' }, model: { type: 'string' }, seed: { type: 'string' }, workers: { type: 'string' }, fresh: { type: 'boolean' }, json: { type: 'boolean' },
  }, USAGE);
  const mode = positionals[0];
  if ((mode !== 'train' && mode !== 'eval') || positionals.length !== 1) throw new UsageError(USAGE);
  const overrides: Record<string, unknown> = {};
  if (values.model) overrides.model = values.model;
  if (values.seed !== undefined) overrides.seed = Number(values.seed);
  if (values.workers !== undefined) overrides.workers = Number(values.workers);
  const summary = await runArc(mode, loadArcConfig(values.config ?? null, overrides), { fresh: values.fresh });
  if (values.json) console.log(JSON.stringify(summary));
  else printSummary(summary);
  return 0;
}

function printSummary(s: ArcSummary): void {
  const pct = (v: number | undefined) => (v === undefined ? '—' : `${(v * 100).toFixed(1)}%`);
  const row = (label: string, rate: number | undefined, failures?: number) =>
    console.log(`${label.padEnd(44)}${pct(rate).padStart(8)}${failures === undefined ? '' : `   unusable self-edits ${pct(failures)}`}`);
  console.log(`run directory: ${s.runDir}`);
  console.log(`${'condition'.padEnd(44)}${'success'.padStart(8)}`);
  row('in-context learning (no TTT)', s.successRate.icl);
  row('TTT + self-edits of the untrained policy', s.successRate.tttUntrainedPolicy, s.formatFailureRate.tttUntrainedPolicy);
  s.successRate.seal.forEach((v, i) => row(`SEAL after round ${i + 1}`, v, s.formatFailureRate.seal[i]));
  row(`oracle TTT (best of ${s.oracleConfigurations} configurations)`, s.successRate.oracle);
  for (const r of s.rounds) {
    console.log(`round ${r.round}: ${r.successes}/${r.trials} training self-edits solved their task, ${r.unusable} unusable, ${r.kept} kept`);
  }
  console.log(`${s.compute.innerLoops} inner loops, ${s.compute.tokensTrained} tokens trained, ${s.compute.tokensGenerated} generated, ${(s.seconds / 60).toFixed(1)} min`);
}
