// `seal demo [--quick] [--seed S] [--json]`: SEAL end to end, offline, on the shipped tiny model.
// `seal demo --arc [--seed S] [--json]`: the same for ARC few-shot learning on the tiny-arc model.
import { runDemo } from '../recipes/demo.js';
import { arcDemoJson, runArcDemo } from '../recipes/demo-arc.js';
import { numberFlag, parse, UsageError } from './args.js';

const USAGE = [
  'usage: seal demo [--quick] [--seed S] [--model DIR] [--runs DIR] [--json]',
  '       seal demo --arc [--seed S] [--model DIR] [--runs DIR] [--config FILE] [--json]',
].join('\n');

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    quick: { type: 'boolean' }, seed: { type: 'string' }, json: { type: 'boolean' }, model: { type: 'string' }, runs: { type: 'string' },
    arc: { type: 'boolean' }, config: { type: 'string' },
  }, USAGE);
  const seed = numberFlag(values.seed, 'seed', 0, { integer: true, min: 0 });
  if (values.arc) {
    if (values.quick) throw new UsageError(`--quick is for the knowledge demo; make the ARC demo smaller with --config FILE\n\n${USAGE}`);
    return arcDemo({ seed, model: values.model, runsDir: values.runs, config: values.config }, values.json ?? false);
  }
  if (values.config) throw new UsageError(`--config is for the ARC demo (--arc)\n\n${USAGE}`);
  const result = await runDemo({ quick: values.quick, seed, model: values.model, runsDir: values.runs });
  const a = result.summary.accuracy;
  const accuracy = {
    base: a.base ?? null, passage: a.passage ?? null, passageBaseSelfEdits: a.passageBaseSelfEdits ?? null,
    passageTeacherSelfEdits: a.passageTeacherSelfEdits ?? null, seal: a.seal,
  };
  if (!values.json) {
    const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
    console.log('\nSEAL knowledge incorporation on the synthetic benchmark (held-out people, exact match)');
    console.log(`  no update                         ${pct(accuracy.base)}`);
    console.log(`  train on passage                  ${pct(accuracy.passage)}`);
    console.log(`  passage + base-model self-edits   ${pct(accuracy.passageBaseSelfEdits)}`);
    console.log(`  passage + teacher self-edits      ${pct(accuracy.passageTeacherSelfEdits)}`);
    accuracy.seal.forEach((v, i) => console.log(`  SEAL after round ${i + 1}                ${pct(v)}`));
    console.log(`report: ${result.report}  (${(result.seconds / 60).toFixed(1)} min)`);
  }
  console.log(JSON.stringify({ runDir: result.runDir, seconds: result.seconds, accuracy }));
  return 0;
}

async function arcDemo(options: Parameters<typeof runArcDemo>[0], json: boolean): Promise<number> {
  const result = await runArcDemo(options);
  const out = arcDemoJson(result);
  if (!json) {
    const s = result.summary;
    const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
    const c = result.config;
    console.log(`\nSEAL on synthetic mini-ARC (${s.tasks.length} held-out tasks; success = one of two voted attempts exact)`);
    console.log(`  in-context learning (no TTT)               ${pct(out.successRate.icl)}`);
    console.log(`  TTT + self-edits of the untrained policy   ${pct(out.successRate.tttUntrainedPolicy)}   (${c.eval.samplesPerContext} per task)`);
    out.successRate.seal.forEach((v, i) => console.log(`  SEAL after round ${i + 1}                         ${pct(v)}`));
    console.log(`  oracle TTT (best of ${s.oracleConfigurations} configurations)        ${pct(out.successRate.oracle)}`);
    console.log(`report: ${result.report}  (${(result.seconds / 60).toFixed(1)} min)`);
  }
  console.log(JSON.stringify(out));
  return 0;
}
