// What the pretrained model knows, measured right after pretraining and written into its model card:
// QA accuracy (the knowledge task's QA prompt, exact match) on pretraining people whose QA documents
// were in the corpus, asked in a fresh phrasing, and on pretraining people seen in biographies only.
// The second figure is the skill SEAL's inner loop relies on: turning statements the model was
// trained on into answers to questions it never saw answered.
import { loadModel } from '../model/load.js';
import { makeBenchmark } from '../tasks/synthetic/benchmark.js';
import { demoSelfEdit, qaPeopleOf, type SelfEditStyle } from '../tasks/synthetic/corpus.js';
import { makePassage, makeRecord } from '../tasks/synthetic/passages.js';
import { ATTRIBUTES, Rng, attributePool, type Attribute, type Person } from '../tasks/synthetic/people.js';
import { scoreIds } from '../generate/score.js';
import { implicationsPrompt } from '../tasks/knowledge/prompts.js';
import { generate } from '../generate/generate.js';
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

/**
 * How faithful the model's own `implications` self-edits are to the passage, on RL-split passages
 * (people it never saw), sampled as SEAL samples them (temperature 1, top-p 0.95, 160 tokens).
 * Every attribute value of the benchmark's pools found in a self-edit is either the person's own
 * (copied from the passage) or another (recalled or invented): training on the latter teaches
 * wrong facts, which is why self-edits can hurt.
 */
export interface SelfEditFidelity {
  passages: number;
  samples: number;
  /** Share of the attribute values in self-edits that are the passage's. */
  precision: number;
  /** Distinct correct attributes per self-edit (of 6). */
  correctPerSelfEdit: number;
  /** Share of self-edits naming the person by full name. */
  fullName: number;
}

export function measureSelfEditFidelity(dir: string, preset: PretrainPreset, passages = 30, samples = 3): SelfEditFidelity {
  const { model, tokenizer } = loadModel(dir);
  if (!tokenizer) throw new Error(`${dir}: no tokenizer.json`);
  const bench = makeBenchmark({ seed: preset.seed, ...preset.benchmark });
  let right = 0;
  let wrong = 0;
  let distinct = 0;
  let named = 0;
  const n = Math.min(passages, bench.rl.length);
  for (let i = 0; i < n; i++) {
    const person = bench.rlPeople[i]!;
    const record = bench.rl[i]!;
    const ids = tokenizer.encode(implicationsPrompt(record.title, record.context));
    const gens = generate(model, Array.from({ length: samples }, () => ids), {
      temperature: 1, topP: 0.95, maxNewTokens: 160, seed: i, eosTokenIds: tokenizer.eosId === null ? [] : [tokenizer.eosId], tokenizer,
    });
    for (const g of gens) {
      const score = scoreSelfEdit(g.text ?? '', person);
      right += score.right;
      wrong += score.wrong;
      distinct += score.correctAttributes;
      if (score.fullName) named++;
    }
  }
  const total = n * samples;
  return { passages: n, samples, precision: right + wrong ? right / (right + wrong) : 0, correctPerSelfEdit: distinct / total, fullName: named / total };
}

/** Every value of every attribute pool, once (built on first use: the date pool is ~17k strings). */
let allValues: string[] | null = null;

/** The pool values a self-edit states: the person's own (right) or others (wrong). */
export function scoreSelfEdit(text: string, person: Person): { right: number; wrong: number; correctAttributes: number; fullName: boolean } {
  // Pools overlap (birth and employer cities share one), so a value is right when it is any of the
  // person's own values.
  const own = new Set<string>(ATTRIBUTES.map((a) => person[a]));
  let right = 0;
  let wrong = 0;
  allValues ??= [...new Set(ATTRIBUTES.flatMap((a) => attributePool(a)))];
  for (const v of allValues) {
    if (text.includes(v)) own.has(v) ? right++ : wrong++;
  }
  const correctAttributes = ATTRIBUTES.filter((a) => text.includes(person[a])).length;
  return { right, wrong, correctAttributes, fullName: text.includes(person.fullName) };
}

export function fidelitySection(f: SelfEditFidelity): string {
  const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
  return `
Its own \`implications\` self-edits on ${f.passages} RL-split passages (people it never saw; ${f.samples} samples each at
temperature 1, top-p 0.95, as SEAL samples them): ${pct(f.precision)} of the attribute values they state are the
passage's (the rest are recalled or invented), ${f.correctPerSelfEdit.toFixed(2)} of the 6 facts stated correctly per
self-edit on average, the person's full name in ${pct(f.fullName)} of them.
`;
}

/**
 * Does the model read values out of the passage at all? Teacher-forced, on demonstration self-edits
 * about RL-split people (unseen): the mean negative log-probability of the first token of each
 * attribute value where the self-edit states it, once after the person's own passage and once after
 * a control passage (same name, another person's values). A model that copies puts far less surprise
 * on the value after its own passage; equal figures mean the value comes from a prior, not the passage.
 */
export interface CopyGap {
  passages: number;
  style: SelfEditStyle;
  /** Mean nats of the value's first token: after its own passage, after the control passage. */
  attributes: Record<Attribute, { own: number; control: number }>;
}

/** One CopyGap per style; the model is loaded once. */
export function measureCopyGap(dir: string, preset: PretrainPreset, styles: readonly SelfEditStyle[] = ['copy'], passages = 30): CopyGap[] {
  const { model, tokenizer } = loadModel(dir);
  if (!tokenizer) throw new Error(`${dir}: no tokenizer.json`);
  const bench = makeBenchmark({ seed: preset.seed, ...preset.benchmark });
  const n = Math.min(passages, bench.rlPeople.length - 1);
  const encode = (text: string): number[] => tokenizer.encode(text, { addSpecialTokens: false });
  return styles.map((style) => {
    const rng = new Rng(`copy-gap-${preset.seed}-${style}`);
    const sums = Object.fromEntries(ATTRIBUTES.map((a) => [a, { own: 0, control: 0, count: 0 }])) as Record<Attribute, { own: number; control: number; count: number }>;
    for (let i = 0; i < n; i++) {
      const person = bench.rlPeople[i]!;
      const other = bench.rlPeople[i + 1]!;
      const control: Person = { ...other, firstName: person.firstName, lastName: person.lastName, fullName: person.fullName, gender: person.gender };
      const passage = makePassage(person, rng, { pronounProb: 0.5 });
      const controlPassage = makePassage(control, rng, { pronounProb: 0.5 });
      const edit = demoSelfEdit(person, passage, style, rng);
      for (const [which, text] of [['own', passage.text], ['control', controlPassage.text]] as const) {
        const prompt = implicationsPrompt(person.fullName, text);
        const full = prompt + edit;
        const { tokens } = scoreIds(model, encode(full));
        for (const a of ATTRIBUTES) {
          const at = full.indexOf(person[a], prompt.length);
          if (at < 0) continue;
          // The value's first token: the prefix (without the space BPE joins to the value) ends before it.
          const logprob = tokens[encode(full.slice(0, at).replace(/ $/, '')).length]?.logprob;
          if (logprob === null || logprob === undefined) continue;
          sums[a][which] -= logprob;
          if (which === 'own') sums[a].count++;
        }
      }
    }
    const attributes = Object.fromEntries(ATTRIBUTES.map((a) => {
      const c = Math.max(1, sums[a].count);
      return [a, { own: sums[a].own / c, control: sums[a].control / c }];
    })) as CopyGap['attributes'];
    return { passages: n, style, attributes };
  });
}

export function copyGapSection(gaps: CopyGap[]): string {
  const head = gaps.map((g) => `'${g.style}': own / control`).join(' | ');
  const rows = ATTRIBUTES.map((a) => `| ${a} | ${gaps.map((g) => `${g.attributes[a].own.toFixed(2)} / ${g.attributes[a].control.toFixed(2)}`).join(' | ')} |`);
  return `
Whether it reads values out of the passage (teacher-forced on demonstration self-edits about ${gaps[0]?.passages ?? 0}
RL-split people: mean nats of each value's first token after the person's own passage / after a
control passage with the same name and another person's values; copying shows as own far below control):

| attribute | ${head} |
| --- | ${gaps.map(() => '---').join(' | ')} |
${rows.join('\n')}
`;
}
