// Biographies (passages) and questions for the synthetic benchmark. A passage states each of a
// person's six attributes exactly once, each with one of several sentence templates, in a random
// sentence order; the first sentence introduces the full name, later ones use the full name or a
// pronoun. Questions ask one attribute each, in phrasings that share no word trigram with any passage
// template (checked by the tests), with the attribute value as the short gold answer.
import { ATTRIBUTES, Rng, capitalize, pronouns, type Attribute, type Person } from './people.js';

/**
 * Sentence templates. Placeholders: {S} the subject at the start of a sentence (full name or "He"/"She"),
 * {s} the subject inside a sentence (full name or "he"/"she"), {P} a sentence-initial possessive
 * ("Velorin Quaddeck's" or "His"), {p} a back-reference possessive ("his"/"her"), {V} the value.
 */
export const PASSAGE_TEMPLATES: Record<Attribute, readonly string[]> = {
  birthDate: [
    '{S} was born on {V}.',
    '{P} birthday is {V}.',
    '{S} came into the world on {V}.',
    '{S} entered life on {V}.',
    '{P} life began on {V}.',
    'The day {s} was born was {V}.',
  ],
  birthCity: [
    '{S} was born in {V}.',
    '{P} birthplace is {V}.',
    '{S} first saw daylight in {V}.',
    '{S} hails from {V}.',
    '{S} is a native of {V}.',
    '{S} spent {p} early childhood in {V}.',
  ],
  university: [
    '{S} studied at {V}.',
    '{S} attended {V}.',
    '{S} graduated from {V}.',
    '{S} received {p} education at {V}.',
    '{P} alma mater is {V}.',
    '{S} was a student at {V}.',
  ],
  major: [
    '{S} majored in {V}.',
    '{S} focused on {V} during {p} studies.',
    '{P} field of study was {V}.',
    '{S} specialized in {V}.',
    '{S} completed a degree in {V}.',
    '{S} pursued coursework in {V}.',
  ],
  company: [
    '{S} works for {V}.',
    '{S} is employed by {V}.',
    '{S} holds a job at {V}.',
    '{S} earns a living at {V}.',
    '{P} employer is {V}.',
    '{S} has a position at {V}.',
  ],
  companyCity: [
    '{S} works in {V}.',
    '{S} is based in {V} for work.',
    '{P} workplace is located in {V}.',
    '{S} commutes to an office in {V}.',
    '{P} job is in {V}.',
    '{S} goes to work in {V} every day.',
  ],
};

/** Question templates: {N} is the full name, {N's} its possessive. */
export const QUESTION_TEMPLATES: Record<Attribute, readonly string[]> = {
  birthDate: [
    'When was {N} born?',
    'What is the birth date of {N}?',
    'On which date was {N} born?',
    "What is {N's} date of birth?",
  ],
  birthCity: [
    'Where was {N} born?',
    'In which city was {N} born?',
    'What city is the birthplace of {N}?',
    'Which city does {N} come from originally?',
  ],
  university: [
    'Which university did {N} attend?',
    'Where did {N} go to college?',
    'What school did {N} study at?',
    'From which university did {N} graduate?',
  ],
  major: [
    "What was {N's} major?",
    'Which subject did {N} study?',
    'What field did {N} study?',
    'What academic discipline did {N} pursue?',
  ],
  company: [
    'Which company does {N} work for?',
    'Who employs {N}?',
    'For which company does {N} work?',
    'What company is {N} employed by?',
  ],
  companyCity: [
    'In which city does {N} work?',
    'What city does {N} work in?',
    "In what city is {N's} employer located?",
    "Which city is home to {N's} office?",
  ],
};

export interface QA {
  question: string;
  answer: string;
}

/** The SQuAD-style record the knowledge task reads. */
export interface KnowledgeRecord {
  title: string;
  context: string;
  questions: QA[];
}

export interface RenderedSentence {
  attribute: Attribute;
  /** Index into PASSAGE_TEMPLATES[attribute]. */
  template: number;
  usesPronoun: boolean;
  text: string;
}

/** One sentence stating `attr` of `person`. */
export function renderSentence(person: Person, attr: Attribute, template: number, usePronoun: boolean, value?: string): string {
  const pr = pronouns(person.gender);
  const t = PASSAGE_TEMPLATES[attr][template];
  const subjectInitial = usePronoun ? capitalize(pr.subject) : person.fullName;
  const subjectInner = usePronoun ? pr.subject : person.fullName;
  const possInitial = usePronoun ? capitalize(pr.possessive) : `${person.fullName}'s`;
  return t
    .replace('{S}', subjectInitial)
    .replace('{s}', subjectInner)
    .replace('{P}', possInitial)
    .replace('{p}', pr.possessive)
    .replace('{V}', value ?? person[attr]);
}

export interface PassageOptions {
  /** Probability that a sentence after the first refers to the person by pronoun. Default 0.5. */
  pronounProb?: number;
  /** Templates not to use, per attribute (e.g. to make a restatement differ from a passage). */
  avoidTemplates?: Partial<Record<Attribute, number[]>>;
}

export interface Passage {
  text: string;
  sentences: RenderedSentence[];
}

/** A biography: every attribute once, random templates, random order, full name first. */
export function makePassage(person: Person, rng: Rng, options: PassageOptions = {}): Passage {
  const pronounProb = options.pronounProb ?? 0.5;
  const order = rng.shuffle(ATTRIBUTES);
  const sentences: RenderedSentence[] = order.map((attribute, i) => {
    const avoid = options.avoidTemplates?.[attribute] ?? [];
    const choices = PASSAGE_TEMPLATES[attribute].map((_, k) => k).filter((k) => !avoid.includes(k));
    const template = rng.pick(choices.length > 0 ? choices : PASSAGE_TEMPLATES[attribute].map((_, k) => k));
    const usesPronoun = i > 0 && rng.chance(pronounProb);
    return { attribute, template, usesPronoun, text: renderSentence(person, attribute, template, usesPronoun) };
  });
  return { text: sentences.map((s) => s.text).join(' '), sentences };
}

export function renderQuestion(person: Person | string, attr: Attribute, template: number): string {
  const name = typeof person === 'string' ? person : person.fullName;
  return QUESTION_TEMPLATES[attr][template].replace('{N}', name).replace("{N's}", `${name}'s`);
}

/** `perAttribute` questions per attribute (distinct phrasings, random), in ATTRIBUTES order. */
export function makeQuestions(person: Person, rng: Rng, perAttribute = 1): QA[] {
  const out: QA[] = [];
  for (const attr of ATTRIBUTES) {
    const templates = rng.sample(QUESTION_TEMPLATES[attr].map((_, k) => k), perAttribute);
    for (const t of templates) out.push({ question: renderQuestion(person, attr, t), answer: person[attr] });
  }
  return out;
}

export interface RecordOptions extends PassageOptions {
  /** Questions per attribute (distinct phrasings). Default 1. */
  questionsPerAttribute?: number;
}

/** {title: full name, context: passage, questions}. */
export function makeRecord(person: Person, rng: Rng, options: RecordOptions = {}): KnowledgeRecord {
  const passage = makePassage(person, rng, options);
  return { title: person.fullName, context: passage.text, questions: makeQuestions(person, rng, options.questionsPerAttribute ?? 1) };
}

/** Which attribute a question asks, by matching it against the question templates (null if none). */
export function questionAttribute(question: string, name: string): Attribute | null {
  for (const attr of ATTRIBUTES) {
    for (let t = 0; t < QUESTION_TEMPLATES[attr].length; t++) {
      if (renderQuestion(name, attr, t) === question) return attr;
    }
  }
  return null;
}

/**
 * The attribute values of a record's person, recovered from its questions and gold answers (records
 * carry only {title, context, questions}). Missing attributes are absent from the result.
 */
export function attributesFromRecord(record: KnowledgeRecord): Partial<Record<Attribute, string>> {
  const out: Partial<Record<Attribute, string>> = {};
  for (const qa of record.questions) {
    const attr = questionAttribute(qa.question, record.title);
    if (attr) out[attr] = qa.answer;
  }
  return out;
}

/** The pronoun gender a passage uses ("She ..."/"Her ..." → female), defaulting to male. */
export function genderFromPassage(context: string): 'female' | 'male' {
  return /\b(She|she|Her|her)\b/.test(context) ? 'female' : /\b(He|he|His|his)\b/.test(context) ? 'male' : 'male';
}
