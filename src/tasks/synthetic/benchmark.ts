// The synthetic knowledge benchmark: three person-disjoint splits (names never shared).
//  - pretrain: people the tiny model is pretrained on (corpus.ts builds its documents from them);
//  - rl:       unseen people whose passages/questions drive SEAL's RL (ReST-EM) rounds;
//  - eval:     unseen people for evaluation.
// RL and eval splits are SQuAD-style records {title, context, questions} (knowledge.md §1.1).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, generatePeople, type Person } from './people.js';
import { makeRecord, type KnowledgeRecord } from './passages.js';

export interface BenchmarkOptions {
  seed?: number;
  /** Default 2000: ~40 bits of facts each, well within a few-million-parameter model's capacity;
   * the binding constraint is exposures per person within the CPU pretraining budget. */
  pretrainPeople?: number;
  /** Default 200. */
  rlPeople?: number;
  /** Default 100 (600 questions). */
  evalPeople?: number;
  /** Probability that a non-first passage sentence uses a pronoun. Default 0.5. */
  passagePronounProb?: number;
  /** Questions per attribute in each record (distinct phrasings). Default 1 (6 per record). */
  questionsPerAttribute?: number;
}

export interface Benchmark {
  pretrain: Person[];
  rl: KnowledgeRecord[];
  eval: KnowledgeRecord[];
  /** The people behind the rl / eval records, in the same order. */
  rlPeople: Person[];
  evalPeople: Person[];
}

export function resolveBenchmarkOptions(options: BenchmarkOptions = {}): Required<BenchmarkOptions> {
  return {
    seed: options.seed ?? 0,
    pretrainPeople: options.pretrainPeople ?? 2000,
    rlPeople: options.rlPeople ?? 200,
    evalPeople: options.evalPeople ?? 100,
    passagePronounProb: options.passagePronounProb ?? 0.5,
    questionsPerAttribute: options.questionsPerAttribute ?? 1,
  };
}

/** Deterministic for the options; splits are disjoint in people (and in full names). */
export function makeBenchmark(options: BenchmarkOptions = {}): Benchmark {
  const o = resolveBenchmarkOptions(options);
  const total = o.pretrainPeople + o.rlPeople + o.evalPeople;
  // One draw of distinct names, then cut: no name can occur in two splits.
  const people = generatePeople(total, o.seed);
  const pretrain = people.slice(0, o.pretrainPeople);
  const rlPeople = people.slice(o.pretrainPeople, o.pretrainPeople + o.rlPeople);
  const evalPeople = people.slice(o.pretrainPeople + o.rlPeople);
  const recordOptions = { pronounProb: o.passagePronounProb, questionsPerAttribute: o.questionsPerAttribute };
  const rlRng = new Rng(`records-rl-${o.seed}`);
  const evalRng = new Rng(`records-eval-${o.seed}`);
  return {
    pretrain,
    rl: rlPeople.map((p) => makeRecord(p, rlRng, recordOptions)),
    eval: evalPeople.map((p) => makeRecord(p, evalRng, recordOptions)),
    rlPeople,
    evalPeople,
  };
}

export interface BenchmarkFiles {
  pretrain: string;
  rl: string;
  eval: string;
  meta: string;
}

/**
 * Writes pretrain_people.json (Person[]), rl.json and eval.json (record lists, the knowledge task's
 * format) and benchmark_meta.json (the resolved options and counts) into `dir`.
 */
export function writeBenchmark(dir: string, options: BenchmarkOptions = {}, benchmark?: Benchmark): BenchmarkFiles {
  const o = resolveBenchmarkOptions(options);
  const b = benchmark ?? makeBenchmark(o);
  mkdirSync(dir, { recursive: true });
  const files: BenchmarkFiles = {
    pretrain: join(dir, 'pretrain_people.json'),
    rl: join(dir, 'rl.json'),
    eval: join(dir, 'eval.json'),
    meta: join(dir, 'benchmark_meta.json'),
  };
  writeFileSync(files.pretrain, JSON.stringify(b.pretrain, null, 1));
  writeFileSync(files.rl, JSON.stringify(b.rl, null, 1));
  writeFileSync(files.eval, JSON.stringify(b.eval, null, 1));
  const questions = (rs: KnowledgeRecord[]) => rs.reduce((n, r) => n + r.questions.length, 0);
  writeFileSync(files.meta, JSON.stringify({
    options: o,
    counts: {
      pretrainPeople: b.pretrain.length,
      rlRecords: b.rl.length, rlQuestions: questions(b.rl),
      evalRecords: b.eval.length, evalQuestions: questions(b.eval),
    },
  }, null, 2));
  return files;
}
