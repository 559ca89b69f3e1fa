// `seal demo [--quick] [--seed S] [--json]`: SEAL end to end, offline, on the shipped tiny model.
import { runDemo } from '../recipes/demo.js';
import { numberFlag, parse } from './args.js';

const USAGE = 'usage: seal demo [--quick] [--seed S] [--model DIR] [--runs DIR] [--json]';

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    quick: { type: 'boolean' }, seed: { type: 'string' }, json: { type: 'boolean' }, model: { type: 'string' }, runs: { type: 'string' },
  }, USAGE);
  const result = await runDemo({
    quick: values.quick, seed: numberFlag(values.seed, 'seed', 0, { integer: true, min: 0 }), model: values.model, runsDir: values.runs,
  });
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
