// What the pretrained model knows, measured right after pretraining and written into its model card:
// QA accuracy (the knowledge task's QA prompt, exact match) on pretraining people whose QA documents
// were in the corpus, asked in a fresh phrasing, and on pretraining people seen in biographies only.
// The second figure is the skill SEAL's inner loop relies on: turning statements the model was
// trained on into answers to questions it never saw answered.
import { loadModel } from '../model/load.js';
import { makeBenchmark } from '../tasks/synthetic/benchmark.js';
import { qaPeopleOf } from '../tasks/synthetic/corpus.js';
import { makeRecord } from '../tasks/synthetic/passages.js';
import { Rng } from '../tasks/synthetic/people.js';
import { KnowledgeTask } from '../tasks/knowledge/task.js';
import type { PretrainPreset } from './presets.js';

export interface Recall {
  people: number;
  /** Mean accuracy on people with QA documents in the corpus (fresh question phrasings). */
  qaPeople: number;
  /** Mean accuracy on people seen in biographies only. */
  bioOnlyPeople: number;
}

export async function measureRecall(dir: string, preset: PretrainPreset, people = 60): Promise<Recall> {
  const loaded = loadModel(dir);
  const bench = makeBenchmark({ seed: preset.seed, ...preset.benchmark });
  const withQa = new Set(qaPeopleOf(bench.pretrain, preset.corpus).map((p) => p.fullName));
  const task = new KnowledgeTask({ promptKey: 'implications', splitNewlines: true, grader: 'exact', maxAnswerTokens: 16, answerStop: ['\n'] });
  const rng = new Rng(`recall-${preset.seed}`);
  const accuracy = async (qa: boolean): Promise<number> => {
    const group = bench.pretrain.filter((p) => withQa.has(p.fullName) === qa).slice(0, people);
    let sum = 0;
    for (const p of group) sum += (await task.evaluate(loaded, { id: p.fullName, ...makeRecord(p, rng) })).reward;
    return group.length ? sum / group.length : NaN;
  };
  const qaPeople = await accuracy(true);
  const bioOnlyPeople = await accuracy(false);
  return { people, qaPeople, bioOnlyPeople };
}

export function recallSection(r: Recall): string {
  const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
  return `
## Measured after training
QA accuracy without any passage in the prompt (exact match, one question per attribute, ${r.people} people each):
- pretraining people with QA documents, asked in a random phrasing: ${pct(r.qaPeople)};
- pretraining people seen in biographies only: ${pct(r.bioOnlyPeople)} (the QA skill transfers to facts
  learned from statements; chance is about 2.5%).
`;
}
