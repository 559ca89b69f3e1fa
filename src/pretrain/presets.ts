// Pretraining presets: everything that defines a shipped model, in one place. `seal pretrain
// --preset NAME` with the same preset and seed reproduces the same model (same loss curve).
// Two kinds: knowledge presets (the synthetic biography benchmark: tiny, micro) and ARC presets
// (the synthetic mini-ARC benchmark, `kind: 'arc'`: tiny-arc, micro-arc).
import type { MiniArcOptions } from '../tasks/arc-synthetic/benchmark.js';
import type { CorpusOptions } from '../tasks/synthetic/corpus.js';
import type { ArcCorpusOptions } from './arc-corpus.js';

export interface ModelShape {
  hiddenSize: number; numLayers: number; numHeads: number; numKvHeads: number;
  intermediateSize: number; vocabSize: number; maxPositions: number; ropeTheta: number;
}

export interface TrainShape {
  lr: number; minLrFraction: number; epochs: number; packLength: number; warmup: number;
  weightDecay: number; maxGradNorm: number;
}

/** A knowledge preset (the name predates ARC presets). */
export interface PretrainPreset {
  kind?: 'knowledge';
  name: string;
  description: string;
  seed: number;
  /** The synthetic benchmark whose pretraining people the corpus is built from. */
  benchmark: { pretrainPeople: number; rlPeople: number; evalPeople: number };
  corpus: CorpusOptions;
  model: ModelShape;
  train: TrainShape;
}

export interface ArcPretrainPreset {
  kind: 'arc';
  name: string;
  description: string;
  seed: number;
  /**
   * The mini-ARC generator options: the corpus is built from its pretrain split; its train and
   * eval splits (disjoint from it) are the pool `seal demo --arc` picks its tasks from. Written
   * into the model directory (mini_arc.json), so a demo finds the options its model was made with.
   */
  miniArc: MiniArcOptions;
  corpus: ArcCorpusOptions;
  model: ModelShape;
  train: TrainShape;
}

export type AnyPretrainPreset = PretrainPreset | ArcPretrainPreset;

export function isArcPreset(p: AnyPretrainPreset): p is ArcPretrainPreset {
  return p.kind === 'arc';
}

export const KNOWLEDGE_PRESETS: Record<string, PretrainPreset> = {
  tiny: {
    name: 'tiny',
    description: 'A ~1M-parameter Llama trained from scratch on the synthetic biography benchmark',
    seed: 0,
    // Why these numbers (1M-parameter runs, measured; history first, this recipe last): 600 people seen often beat 2000 seen rarely
    // (QA accuracy on people seen in biographies only: 26% against 6%; a fact must be seen ~100
    // times before QA generalises to facts learned from statements); full names in 90% of bio
    // sentences and all 4 question phrasings for the QA half make retrieval phrasing-independent.
    // More self-edit demonstrations (2 for everyone, or 800 about people seen nowhere else) cost
    // retrieval (11% and 7.5%) without teaching the model to copy values from the passage, so 30%
    // of the people get one. Demonstrations about new people drawn anew every epoch
    // (freshSelfEditPeoplePerEpoch 250-2500, with default styles or mostly 'fullname') taught the
    // model to copy the person's full name (84-97% of its self-edits, from 17%) and, at 600-1000 a
    // epoch, the employer, but not the other five values (3-15% of stated values right), and cost
    // retrieval (bio-only QA 6-22%); so this recipe is unchanged. Trained with SEAL_THREADS=1.
    // Why its self-edits invent values (measured teacher-forced, `measureCopyGap`): a value costs it
    // the same 8-10 nats after the person's own passage as after a control passage, even in verbatim
    // copies of the passage: nothing in this corpus needs copying, so it never formed an induction
    // circuit. Copy drills (copyDrillsPerEpoch 2000) form one (a drilled sequence's repeat costs 0.01
    // nats) and, with demonstrations about new people every epoch, the model copies values (250 a
    // epoch + 30% 'fullname': birth date, university, major, employer at 0.00-0.09 nats against 8-12
    // after the control; the two cities of a passage not at all, 42% of stated values right) but
    // bio-only QA falls to 10-12%, so passage-only accuracy falls to 12.5% and its self-edits only
    // match it (12.2%). Drills alone keep retrieval (22%) and teach no copying into self-edits.
    // This recipe: drills (with dates) + 400 new people a epoch + 30% 'fullname' copies every value,
    // both cities included (0.01-0.13 nats against 7-13 after the control), bio-only QA 17%; on 60
    // held-out passages (3 seeds) passage only 13.4%, passage + its own self-edits 20.9%, teacher
    // 27.6%. Without 'fullname' (default styles) dates and cities were not copied.
    benchmark: { pretrainPeople: 600, rlPeople: 200, evalPeople: 100 },
    corpus: {
      seed: 0, biosPerPerson: 8, qaPeopleFraction: 0.5, selfEditPeopleFraction: 0.3, selfEditsPerPerson: 1,
      bioPronounProb: 0.1, qaPerAttribute: 4,
      copyDrillsPerEpoch: 2000, freshSelfEditPeoplePerEpoch: 400,
      styleWeights: { restate: 0.15, numbered: 0.1, partial: 0.1, qa: 0.1, paraphrase: 0.1, filler: 0.05, noisy: 0.05, copy: 0.1, fullname: 0.3 },
    },
    model: { hiddenSize: 128, numLayers: 4, numHeads: 4, numKvHeads: 2, intermediateSize: 384, vocabSize: 2048, maxPositions: 1024, ropeTheta: 10000 },
    train: { lr: 3e-3, minLrFraction: 0.1, epochs: 15, packLength: 512, warmup: 50, weightDecay: 0.1, maxGradNorm: 1.0 },
  },
  // A seconds-long run of the same recipe, for tests.
  micro: {
    name: 'micro',
    description: 'A few-second run of the tiny recipe (tests only)',
    seed: 0,
    benchmark: { pretrainPeople: 30, rlPeople: 5, evalPeople: 5 },
    corpus: { seed: 0, biosPerPerson: 2 },
    model: { hiddenSize: 32, numLayers: 2, numHeads: 2, numKvHeads: 1, intermediateSize: 64, vocabSize: 300, maxPositions: 512, ropeTheta: 10000 },
    train: { lr: 3e-3, minLrFraction: 0.1, epochs: 1, packLength: 256, warmup: 2, weightDecay: 0.1, maxGradNorm: 1.0 },
  },
};

export const ARC_PRESETS: Record<string, ArcPretrainPreset> = {
  'tiny-arc': {
    kind: 'arc',
    name: 'tiny-arc',
    description: 'A ~1M-parameter Llama trained from scratch on the synthetic mini-ARC benchmark (in-domain, for `seal demo --arc`)',
    seed: 0,
    // Colour maps on 3 × 3 grids, with copy drills in the problem format (measured, 1M parameters,
    // history first). Sides 3-6 and all seven families (4.7M tokens, 13 min): ICL 0%, TTT 0%,
    // oracle 10%; the model did not copy a cell of the query to its place in the answer, which every
    // family but the symmetries needs. 3 × 3 only (one offset between a query cell and its answer
    // cell), colour maps + symmetries, 10,000 bare-pair drills: it copies in the drills' own format
    // (0.002 nats a token) but not in the problem format (1-2 nats an unchanged cell), oracle 10%;
    // 12,000 drills in the problem format: partly (0.2-0.5 nats), oracle 30%. 18,000 problem-format
    // drills, 2 epochs: unchanged cells 0.00-0.10 nats. The same recipe with the symmetries too
    // answered 4 of 12 in context (symmetries share their 7 rules across splits, so they are learnt
    // in pretraining) and gained little from TTT (oracle 6 of 12): no room for SEAL to show, so the
    // colour maps (each split with rules of its own) are the family. With 1-2 demonstrations in 80%
    // of the problems (shotWeights [1, 2, 2], 48 min with SEAL_THREADS=1) the model read some maps in
    // context (demo ICL 5-20%); random TTT damaged those tasks, and they supplied most kept self-edits
    // whatever their learning rate, so ReST-EM did not beat the untrained policy by more than the seed
    // spread. Hence problems without demonstrations ([1, 0, 0]: ICL 0%, as the paper's 1B model).
    // On this model a configuration with any augmentation solves 8 of 522 times (reflections and
    // translations make grids other than 3 × 3, which it never saw), none solves 577 of 1,508: lr 0.01
    // 64% (5 epochs 80%), 0.003 26% (5 epochs 49%), 0.001 0.4%; either loss alike (demo seeds 0-2,
    // every self-edit TTT run). With each flag on at 0.5 only 1 self-edit in 16 has no augmentation
    // (untrained policy 2% on one seed), so the self-edit documents turn each flag on at 0.25 and
    // draw lrs from 1e-3 to 1e-2: still a random prior that says nothing about which choice works.
    // 17 min at 9,900 tokens/s with 2 threads.
    miniArc: {
      seed: 0, pretrainTasks: 5000, trainTasks: 70, evalTasks: 42, minSide: 3, maxSide: 3, families: ['colour-map'],
      minDemonstrations: 2, maxDemonstrations: 4,
    },
    corpus: {
      seed: 0, problemsPerTask: 3, shotWeights: [1, 0, 0], selfEditTaskFraction: 0.3, selfEditsPerTask: 1,
      selfEditSpace: { learningRates: [1e-3, 3e-3, 1e-2], epochs: [1, 2, 3, 4, 5], augmentationRate: 0.25 },
      copyDrills: 18000, copyDrillFormat: 'problem', copyDrillSides: [3, 3],
    },
    model: { hiddenSize: 128, numLayers: 4, numHeads: 4, numKvHeads: 2, intermediateSize: 384, vocabSize: 1024, maxPositions: 1024, ropeTheta: 10000 },
    train: { lr: 3e-3, minLrFraction: 0.1, epochs: 2, packLength: 1024, warmup: 50, weightDecay: 0.1, maxGradNorm: 1.0 },
  },
  // A seconds-long run of the same recipe, for tests.
  'micro-arc': {
    kind: 'arc',
    name: 'micro-arc',
    description: 'A few-second run of the tiny-arc recipe (tests only)',
    seed: 0,
    miniArc: { seed: 0, pretrainTasks: 24, trainTasks: 6, evalTasks: 6, minSide: 2, maxSide: 4, minDemonstrations: 2, maxDemonstrations: 3 },
    corpus: { seed: 0, problemsPerTask: 2, selfEditTaskFraction: 0.5 },
    model: { hiddenSize: 32, numLayers: 2, numHeads: 2, numKvHeads: 1, intermediateSize: 64, vocabSize: 400, maxPositions: 1024, ropeTheta: 10000 },
    train: { lr: 3e-3, minLrFraction: 0.1, epochs: 1, packLength: 1024, warmup: 2, weightDecay: 0.1, maxGradNorm: 1.0 },
  },
};

export const PRESETS: Record<string, AnyPretrainPreset> = { ...KNOWLEDGE_PRESETS, ...ARC_PRESETS };
