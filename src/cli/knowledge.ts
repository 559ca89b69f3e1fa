// `seal knowledge <train|eval|cpt|continual> --config FILE`: the knowledge-incorporation recipes.
import { loadKnowledgeConfig } from '../recipes/knowledge-config.js';
import { runKnowledge } from '../recipes/knowledge.js';
import { parse, UsageError } from './args.js';

const USAGE = 'usage: seal knowledge <train|eval|cpt|continual> --config FILE [--model DIR] [--seed S] [--workers N] [--fresh] [--json]';

export async function knowledgeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    config: { type: 'string' }, model: { type: 'string' }, seed: { type: 'string' }, workers: { type: 'string' }, fresh: { type: 'boolean' }, json: { type: 'boolean' },
  }, USAGE);
  const mode = positionals[0];
  if (mode !== 'train' && mode !== 'eval' && mode !== 'cpt' && mode !== 'continual') throw new UsageError(USAGE);
  const overrides: Record<string, unknown> = {};
  if (values.model) overrides.model = values.model;
  if (values.seed !== undefined) overrides.seed = Number(values.seed);
  if (values.workers !== undefined) overrides.workers = Number(values.workers);
  const cfg = loadKnowledgeConfig(values.config ?? null, overrides);
  if (mode === 'cpt' || mode === 'continual') {
    const { runCpt, runContinual } = await import('../recipes/knowledge-cpt.js');
    const summary = mode === 'cpt' ? await runCpt(cfg, { fresh: values.fresh }) : await runContinual(cfg, { fresh: values.fresh });
    console.log(values.json ? JSON.stringify(summary) : `run ${summary.runDir}\n${JSON.stringify(summary, null, 2)}`);
    return 0;
  }
  const summary = await runKnowledge(mode, cfg, { fresh: values.fresh });
  if (values.json) console.log(JSON.stringify(summary));
  else printSummary(summary);
  return 0;
}

function printSummary(s: Awaited<ReturnType<typeof runKnowledge>>): void {
  const pct = (v: number | undefined) => (v === undefined ? '—' : `${(v * 100).toFixed(1)}%`);
  console.log(`run directory: ${s.runDir}`);
  console.log('condition                              accuracy');
  console.log(`no update                              ${pct(s.accuracy.base)}`);
  console.log(`passage only                           ${pct(s.accuracy.passage)}`);
  console.log(`passage + base-model self-edits        ${pct(s.accuracy.passageBaseSelfEdits)}`);
  console.log(`passage + teacher self-edits           ${pct(s.accuracy.passageTeacherSelfEdits)}`);
  s.accuracy.seal.forEach((a, i) => console.log(`SEAL after round ${i + 1}                     ${pct(a)}`));
  console.log(`${s.compute.innerLoops} inner loops, ${s.compute.tokensTrained} tokens trained, ${s.compute.tokensGenerated} generated, ${(s.seconds / 60).toFixed(1)} min`);
}
