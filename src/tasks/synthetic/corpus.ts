// The pretraining corpus of the tiny model, built from the pretraining people only:
//  (a) 'bio'      — each person's biography in several phrasings and sentence orders (knowledge
//                   augmentation), half of them prefixed by "{full name}\n" like the inner loop's
//                   training sequences;
//  (b) 'qa'       — question/answer documents in exactly the knowledge task's QA prompt format, for a
//                   subset of the people ("mixed training": the model learns how to retrieve attributes);
//  (c) 'selfedit' — the `implications` self-edit prompt on a passage followed by a self-edit, in
//                   deliberately varied styles and quality, so the untrained policy is diverse and RL has
//                   something to select;
//  (d) 'drill'    — optional copy drills (a sequence of attribute values repeated), new every epoch.
// Also the rule-based strong "teacher" self-edit writer. Everything is deterministic for a seed.
import {
  ATTRIBUTES, CITIES, COMPANIES, FIRST_YEAR, LAST_YEAR, MAJORS, MAX_DAY, MONTHS, Rng, UNIVERSITIES, attributePool, formatDate, generatePeople,
  type Attribute, type Gender, type Person,
} from './people.js';
import {
  PASSAGE_TEMPLATES, QUESTION_TEMPLATES, attributesFromRecord, genderFromPassage, makePassage, renderQuestion, renderSentence,
  type KnowledgeRecord, type Passage,
} from './passages.js';
import { implicationsPrompt, qaPrompt } from '../knowledge/prompts.js';

export { implicationsPrompt, qaPrompt, topicQuestion, trainingSequence, IMPLICATIONS_TEMPLATE, QA_TEMPLATE } from '../knowledge/prompts.js';

export type CorpusKind = 'bio' | 'qa' | 'selfedit' | 'drill';

/**
 * Self-edit styles of the demonstrations:
 * - restate:    every fact in 1–2 new phrasings, full name, one per line;
 * - numbered:   like restate, lines numbered "1. ...", sometimes after a preamble line;
 * - partial:    only 1–3 of the facts;
 * - qa:         "Question: ... Answer: ..." pairs, one per line, for most facts;
 * - paraphrase: loose restatement, pronouns, two facts joined per line, sometimes a fact left out;
 * - filler:     some facts mixed with irrelevant or vague lines;
 * - noisy:      every fact restated but one or two with a wrong value;
 * - copy:       the passage's own sentences, one per line;
 * - fullname:   the passage's own sentences with the full name for every pronoun, in a new order,
 *               once or twice over (bioS's "fullname + permute" augmentation): values copyable
 *               by matching the passage's own wording (the ~1M-parameter tiny model still did not
 *               learn to copy them; see presets.ts).
 */
export const SELF_EDIT_STYLES = ['restate', 'numbered', 'partial', 'qa', 'paraphrase', 'filler', 'noisy', 'copy', 'fullname'] as const;
export type SelfEditStyle = (typeof SELF_EDIT_STYLES)[number];

export const DEFAULT_STYLE_WEIGHTS: Record<SelfEditStyle, number> = {
  restate: 0.2,
  numbered: 0.1,
  partial: 0.15,
  qa: 0.15,
  paraphrase: 0.15,
  filler: 0.1,
  noisy: 0.05,
  copy: 0.1,
  fullname: 0,
};

export interface CorpusDocument {
  kind: CorpusKind;
  text: string;
  /** Full name of the person the document is about. */
  person: string;
  /** For 'selfedit' documents: the style of the self-edit. */
  style?: SelfEditStyle;
}

export interface CorpusOptions {
  seed?: number | string;
  /** (a) Biographies per person. Default 5 (bioS "multi5+permute"). */
  biosPerPerson?: number;
  /** (a) Fraction of biographies prefixed by "{full name}\n". Default 0.5. */
  titledBioFraction?: number;
  /** (a) Probability that a non-first sentence of a biography uses a pronoun. Default 0.3. */
  bioPronounProb?: number;
  /** (b) Fraction of the people with QA documents. Default 0.5. */
  qaPeopleFraction?: number;
  /** (b) QA documents per attribute of such a person (distinct phrasings). Default 1 (6 per person). */
  qaPerAttribute?: number;
  /** (c) Fraction of the people with self-edit demonstrations. Default 0.5. */
  selfEditPeopleFraction?: number;
  /**
   * (c) Demonstrations about this many further people who appear nowhere else in the corpus (nor in
   * the benchmark), besides those about the selfEditPeopleFraction share: their values can only be
   * copied from the passage in the prompt, which is what a self-edit about an unseen person needs
   * (with known people only, the model learns to recall values from memory, and its self-edits about
   * new people come out with invented values). Default 0.
   */
  freshSelfEditPeople?: number;
  /**
   * (c) Demonstrations about this many people who appear nowhere else, drawn anew for every epoch
   * (`freshSelfEditDocuments`), so no epoch's values can be recalled from an earlier one: with a
   * fixed set, 15 epochs memorise those people too and copying is never needed. Default 0.
   */
  freshSelfEditPeoplePerEpoch?: number;
  /**
   * (d) Copy drills drawn anew for every epoch (`copyDrillDocuments`): a sequence of attribute
   * values, then the same sequence again. Only copying predicts the repeat, so the model forms the
   * induction circuit (attend to the earlier occurrence of the current token, predict what followed
   * it), which copying values out of a passage builds on. Default 0.
   */
  copyDrillsPerEpoch?: number;
  /** (c) Demonstrations per such person (each on a fresh passage). Default 1. */
  selfEditsPerPerson?: number;
  /** (c) Relative weights of the styles (missing = default weight). */
  styleWeights?: Partial<Record<SelfEditStyle, number>>;
  /** (c) Pronoun probability of the passages inside the prompts (as in the benchmark). Default 0.5. */
  passagePronounProb?: number;
  /** Shuffle the documents (else grouped by kind: bios, QA, self-edits). Default true. */
  shuffle?: boolean;
}

export interface ResolvedCorpusOptions extends Required<Omit<CorpusOptions, 'styleWeights'>> {
  styleWeights: Record<SelfEditStyle, number>;
}

export function resolveCorpusOptions(options: CorpusOptions = {}): ResolvedCorpusOptions {
  return {
    seed: options.seed ?? 0,
    biosPerPerson: options.biosPerPerson ?? 5,
    titledBioFraction: options.titledBioFraction ?? 0.5,
    bioPronounProb: options.bioPronounProb ?? 0.3,
    qaPeopleFraction: options.qaPeopleFraction ?? 0.5,
    qaPerAttribute: options.qaPerAttribute ?? 1,
    selfEditPeopleFraction: options.selfEditPeopleFraction ?? 0.5,
    selfEditsPerPerson: options.selfEditsPerPerson ?? 1,
    freshSelfEditPeople: options.freshSelfEditPeople ?? 0,
    freshSelfEditPeoplePerEpoch: options.freshSelfEditPeoplePerEpoch ?? 0,
    copyDrillsPerEpoch: options.copyDrillsPerEpoch ?? 0,
    styleWeights: { ...DEFAULT_STYLE_WEIGHTS, ...(options.styleWeights ?? {}) },
    passagePronounProb: options.passagePronounProb ?? 0.5,
    shuffle: options.shuffle ?? true,
  };
}

/** Number of documents of each kind `buildCorpus` produces for `nPeople` people (drills are per-epoch only). */
export function expectedCorpusCounts(nPeople: number, options: CorpusOptions = {}): Record<Exclude<CorpusKind, 'drill'>, number> {
  const o = resolveCorpusOptions(options);
  const qaPerPerson = ATTRIBUTES.length * Math.min(o.qaPerAttribute, Math.min(...ATTRIBUTES.map((a) => QUESTION_TEMPLATES[a].length)));
  return {
    bio: nPeople * o.biosPerPerson,
    qa: Math.round(nPeople * o.qaPeopleFraction) * qaPerPerson,
    selfedit: (o.freshSelfEditPeople + Math.round(nPeople * o.selfEditPeopleFraction)) * o.selfEditsPerPerson,
  };
}

/** `others`: people whose names fresh demonstration people must not take (the benchmark's other splits). */
export function buildCorpus(people: readonly Person[], options: CorpusOptions = {}, others: readonly Person[] = []): CorpusDocument[] {
  const o = resolveCorpusOptions(options);
  const rng = new Rng(`corpus-${o.seed}`);
  const bios: CorpusDocument[] = [];
  const qas: CorpusDocument[] = [];
  const edits: CorpusDocument[] = [];

  const bioRng = new Rng(`corpus-bio-${o.seed}`);
  for (const p of people) {
    for (let i = 0; i < o.biosPerPerson; i++) {
      const passage = makePassage(p, bioRng, { pronounProb: o.bioPronounProb });
      const titled = bioRng.chance(o.titledBioFraction);
      bios.push({ kind: 'bio', person: p.fullName, text: titled ? `${p.fullName}\n${passage.text}` : passage.text });
    }
  }

  const qaRng = new Rng(`corpus-qa-${o.seed}`);
  const qaPeople = pickQaPeople(people, o, qaRng);
  for (const p of qaPeople) {
    for (const attr of ATTRIBUTES) {
      for (const t of qaRng.sample(QUESTION_TEMPLATES[attr].map((_, k) => k), o.qaPerAttribute)) {
        qas.push({ kind: 'qa', person: p.fullName, text: qaDocument(p.fullName, renderQuestion(p, attr, t), p[attr]) });
      }
    }
  }

  const editRng = new Rng(`corpus-selfedit-${o.seed}`);
  const editPeople = [
    ...editRng.sample(people, Math.round(people.length * o.selfEditPeopleFraction)),
    ...(o.freshSelfEditPeople > 0
      ? generatePeople(o.freshSelfEditPeople, `corpus-selfedit-people-${o.seed}`, { exclude: [...people, ...others].map((p) => p.fullName) })
      : []),
  ];
  edits.push(...selfEditDocuments(editPeople, o, editRng));

  const all = [...bios, ...qas, ...edits];
  return o.shuffle ? rng.shuffle(all) : all;
}

/** Demonstrations of the `implications` prompt about `people`, each on a fresh passage. */
function selfEditDocuments(people: readonly Person[], o: ResolvedCorpusOptions, rng: Rng): CorpusDocument[] {
  const styleWeights = SELF_EDIT_STYLES.map((s) => o.styleWeights[s]);
  const edits: CorpusDocument[] = [];
  for (const p of people) {
    for (let i = 0; i < o.selfEditsPerPerson; i++) {
      const passage = makePassage(p, rng, { pronounProb: o.passagePronounProb });
      const style = SELF_EDIT_STYLES[rng.weighted(styleWeights)];
      const edit = demoSelfEdit(p, passage, style, rng);
      edits.push({ kind: 'selfedit', person: p.fullName, style, text: implicationsPrompt(p.fullName, passage.text) + edit });
    }
  }
  return edits;
}

/**
 * Epoch `epoch`'s demonstrations about `freshSelfEditPeoplePerEpoch` new people (names outside
 * `exclude`, attributes drawn anew): a different set every epoch, the same for the same seed.
 */
export function freshSelfEditDocuments(epoch: number, options: CorpusOptions = {}, exclude: readonly Person[] = []): CorpusDocument[] {
  const o = resolveCorpusOptions(options);
  if (o.freshSelfEditPeoplePerEpoch <= 0) return [];
  const people = generatePeople(o.freshSelfEditPeoplePerEpoch, `corpus-fresh-${o.seed}-${epoch}`, { exclude: exclude.map((p) => p.fullName) });
  return selfEditDocuments(people, o, new Rng(`corpus-fresh-selfedit-${o.seed}-${epoch}`));
}

/**
 * Epoch `epoch`'s copy drills: 8–16 distinct attribute values (dates among them) in a random
 * order, then the same sequence again. No separators, so every token of the repeat is predicted by
 * the token that followed the current one the first time (the induction pattern), and by nothing
 * else. Dates are drilled too: with drills of the other values only (and demonstrations about new
 * people), months were the one value the model did not copy into self-edits.
 * Deterministic for (seed, epoch).
 */
export function copyDrillDocuments(epoch: number, options: CorpusOptions = {}): CorpusDocument[] {
  const o = resolveCorpusOptions(options);
  if (o.copyDrillsPerEpoch <= 0) return [];
  const rng = new Rng(`corpus-drill-${o.seed}-${epoch}`);
  const values: string[] = [...new Set([...CITIES, ...UNIVERSITIES, ...MAJORS, ...COMPANIES])];
  const docs: CorpusDocument[] = [];
  for (let d = 0; d < o.copyDrillsPerEpoch; d++) {
    const list = rng.sample(values, 8 + rng.int(9));
    for (let k = rng.int(3); k > 0; k--) {
      list.splice(rng.int(list.length + 1), 0, formatDate(rng.int(MONTHS.length), 1 + rng.int(MAX_DAY), FIRST_YEAR + rng.int(LAST_YEAR - FIRST_YEAR + 1)));
    }
    const text = list.join(' ');
    docs.push({ kind: 'drill', person: '', text: `Repeat: ${text}\nRepeat: ${text}` });
  }
  return docs;
}

/** The people whose QA documents are in the corpus (the rest are seen in biographies only). */
export function qaPeopleOf(people: readonly Person[], options: CorpusOptions = {}): Person[] {
  const o = resolveCorpusOptions(options);
  return pickQaPeople(people, o, new Rng(`corpus-qa-${o.seed}`));
}

function pickQaPeople(people: readonly Person[], o: ResolvedCorpusOptions, rng: Rng): Person[] {
  return rng.sample(people, Math.round(people.length * o.qaPeopleFraction));
}

/** The document texts (the trainer appends EOS to each). */
export function corpusTexts(docs: readonly CorpusDocument[]): string[] {
  return docs.map((d) => d.text);
}

export interface CorpusStats {
  documents: number;
  characters: number;
  byKind: Record<CorpusKind, { documents: number; characters: number }>;
  byStyle: Partial<Record<SelfEditStyle, number>>;
}

export function corpusStats(docs: readonly CorpusDocument[]): CorpusStats {
  const byKind: CorpusStats['byKind'] = {
    bio: { documents: 0, characters: 0 }, qa: { documents: 0, characters: 0 }, selfedit: { documents: 0, characters: 0 }, drill: { documents: 0, characters: 0 },
  };
  const byStyle: CorpusStats['byStyle'] = {};
  let characters = 0;
  for (const d of docs) {
    byKind[d.kind].documents++;
    byKind[d.kind].characters += d.text.length;
    characters += d.text.length;
    if (d.style) byStyle[d.style] = (byStyle[d.style] ?? 0) + 1;
  }
  return { documents: docs.length, characters, byKind, byStyle };
}

/** A QA document: the exact QA prompt followed by the gold answer. */
export function qaDocument(title: string, question: string, answer: string): string {
  return qaPrompt(title, question) + answer;
}

// ---------------------------------------------------------------------------------------------
// Self-edits

const templateIndices = (attr: Attribute): number[] => PASSAGE_TEMPLATES[attr].map((_, k) => k);
const usesBackReference = (attr: Attribute, t: number): boolean => PASSAGE_TEMPLATES[attr][t].includes('{p}');

/** `k` distinct templates for `attr`, preferring those not in `avoid`. */
function pickTemplates(attr: Attribute, k: number, rng: Rng, avoid: readonly number[] = [], allowBackReference = true): number[] {
  const all = templateIndices(attr).filter((t) => allowBackReference || !usesBackReference(attr, t));
  const fresh = rng.shuffle(all.filter((t) => !avoid.includes(t)));
  const used = rng.shuffle(all.filter((t) => avoid.includes(t)));
  return [...fresh, ...used].slice(0, k);
}

function passageTemplates(passage: Passage): Partial<Record<Attribute, number[]>> {
  const out: Partial<Record<Attribute, number[]>> = {};
  for (const s of passage.sentences) (out[s.attribute] ??= []).push(s.template);
  return out;
}

function lowerFirstIfPronoun(s: string): string {
  return /^(He|She|His|Her|The)\b/.test(s) ? s[0].toLowerCase() + s.slice(1) : s;
}

function fillerLines(p: Person, rng: Rng): string[] {
  const n = p.fullName;
  const options = [
    `${n} is the subject of this passage.`,
    `The passage describes the life of ${n}.`,
    `${p.birthCity} is a city.`,
    `${p.company} is a company.`,
    `${p.university} is a place of learning.`,
    `${p.major} is an interesting subject.`,
    `Many people are born in ${rng.pick(CITIES)}.`,
    `${n} has a family.`,
    `${n} may have moved several times.`,
    `Education is important for ${n}.`,
    `${n} probably enjoys reading.`,
    `${n} is a real person.`,
    `${n} likes to travel.`,
    `Work is a big part of life.`,
    `${rng.pick(COMPANIES)} is a well known company.`,
    `${rng.pick(UNIVERSITIES)} is a good university.`,
    `${rng.pick(MAJORS)} is a popular field.`,
    `People change jobs often.`,
    `${n} is a person.`,
  ];
  return rng.sample(options, 2 + rng.int(4));
}

/** A demonstration self-edit of the given style (lines separated by "\n", no trailing newline). */
export function demoSelfEdit(p: Person, passage: Passage, style: SelfEditStyle, rng: Rng): string {
  const avoid = passageTemplates(passage);
  const restate = (attrs: readonly Attribute[], maxPer: number, usePronoun = false): string[] => {
    const lines: string[] = [];
    for (const attr of attrs) {
      for (const t of pickTemplates(attr, 1 + rng.int(maxPer), rng, avoid[attr])) lines.push(renderSentence(p, attr, t, usePronoun));
    }
    return lines;
  };
  const order = rng.shuffle(ATTRIBUTES);
  let lines: string[];
  switch (style) {
    case 'restate':
      lines = rng.shuffle(restate(order, 2));
      break;
    case 'numbered': {
      lines = rng.shuffle(restate(order, 2)).map((l, i) => `${i + 1}. ${l}`);
      if (rng.chance(0.25)) lines.unshift(rng.pick(['Here are the implications:', 'Implications of the passage:', 'The passage implies:']));
      break;
    }
    case 'partial':
      lines = restate(order.slice(0, 1 + rng.int(3)), 1);
      break;
    case 'qa': {
      const attrs = order.slice(0, 4 + rng.int(3));
      lines = [];
      for (const attr of attrs) {
        const ts = rng.sample(QUESTION_TEMPLATES[attr].map((_, k) => k), 1 + (rng.chance(0.3) ? 1 : 0));
        for (const t of ts) lines.push(`Question: ${renderQuestion(p, attr, t)} Answer: ${p[attr]}`);
      }
      break;
    }
    case 'paraphrase': {
      const attrs = order.slice(0, 4 + rng.int(3));
      lines = [];
      for (let i = 0; i < attrs.length; i += 2) {
        const first = renderSentence(p, attrs[i], pickTemplates(attrs[i], 1, rng, avoid[attrs[i]])[0], rng.chance(0.6));
        if (i + 1 < attrs.length) {
          const second = renderSentence(p, attrs[i + 1], pickTemplates(attrs[i + 1], 1, rng, avoid[attrs[i + 1]])[0], true);
          lines.push(`${first.slice(0, -1)}, and ${lowerFirstIfPronoun(second)}`);
        } else lines.push(first);
      }
      break;
    }
    case 'filler': {
      const facts = restate(order.slice(0, 3 + rng.int(4)), 1);
      lines = rng.shuffle([...facts, ...fillerLines(p, rng)]);
      break;
    }
    case 'noisy': {
      const wrong = new Set(rng.sample(ATTRIBUTES, 1 + rng.int(2)));
      lines = [];
      for (const attr of order) {
        const t = pickTemplates(attr, 1, rng, avoid[attr])[0];
        let value: string = p[attr];
        if (wrong.has(attr)) {
          const pool = attributePool(attr);
          while (value === p[attr]) value = rng.pick(pool);
        }
        lines.push(renderSentence(p, attr, t, false, value));
      }
      break;
    }
    case 'copy':
      lines = passage.sentences.map((s) => s.text);
      break;
    case 'fullname': {
      const own = passage.sentences.map((s) => renderSentence(p, s.attribute, s.template, false));
      lines = [];
      for (let round = rng.chance(0.5) ? 2 : 1; round > 0; round--) lines.push(...rng.shuffle(own));
      break;
    }
  }
  return lines.join('\n');
}

export interface TeacherOptions {
  /** Phrasings per fact (distinct templates, at most the template count). Default 3. */
  phrasingsPerFact?: number;
  /** Also add one "Question: ... Answer: ..." line per fact. Default false. */
  includeQuestions?: boolean;
}

/**
 * The rule-based strong teacher: every fact of the passage restated in several phrasings, always with
 * the full name, one fact per line (grouped in rounds: each round states all six facts).
 * Deterministic (seeded by the person's name). For a record, the facts are recovered from its
 * questions' gold answers (every attribute must be asked).
 */
export function teacherSelfEdit(source: Person | KnowledgeRecord, options: TeacherOptions = {}): string {
  let person: Person;
  let allowBackReference = true;
  if ('context' in source) {
    const attrs = attributesFromRecord(source);
    const missing = ATTRIBUTES.filter((a) => attrs[a] === undefined);
    if (missing.length > 0) throw new Error(`teacherSelfEdit: record "${source.title}" asks no question about ${missing.join(', ')}`);
    const hasPronoun = /\b(He|he|His|his|She|she|Her|her)\b/.test(source.context);
    allowBackReference = hasPronoun;
    const gender: Gender = genderFromPassage(source.context);
    const [firstName, ...rest] = source.title.split(' ');
    person = { firstName, lastName: rest.join(' '), fullName: source.title, gender, ...(attrs as Record<Attribute, string>) };
  } else person = source;
  const k = options.phrasingsPerFact ?? 3;
  const rng = new Rng(`teacher-${person.fullName}`);
  const perAttr = ATTRIBUTES.map((attr) => pickTemplates(attr, k, rng, [], allowBackReference));
  const lines: string[] = [];
  for (let round = 0; round < k; round++) {
    ATTRIBUTES.forEach((attr, i) => {
      if (round < perAttr[i].length) lines.push(renderSentence(person, attr, perAttr[i][round], false));
    });
  }
  if (options.includeQuestions) {
    for (const attr of ATTRIBUTES) lines.push(`Question: ${renderQuestion(person, attr, rng.int(QUESTION_TEMPLATES[attr].length))} Answer: ${person[attr]}`);
  }
  return lines.join('\n');
}
