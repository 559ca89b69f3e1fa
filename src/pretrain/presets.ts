// Pretraining presets: everything that defines a shipped model, in one place. `seal pretrain
// --preset NAME` with the same preset and seed reproduces the same model (same loss curve).
import type { CorpusOptions } from '../tasks/synthetic/corpus.js';

export interface PretrainPreset {
  name: string;
  description: string;
  seed: number;
  /** The synthetic benchmark whose pretraining people the corpus is built from. */
  benchmark: { pretrainPeople: number; rlPeople: number; evalPeople: number };
  corpus: CorpusOptions;
  model: {
    hiddenSize: number; numLayers: number; numHeads: number; numKvHeads: number;
    intermediateSize: number; vocabSize: number; maxPositions: number; ropeTheta: number;
  };
  train: {
    lr: number; minLrFraction: number; epochs: number; packLength: number; warmup: number;
    weightDecay: number; maxGradNorm: number;
  };
}

export const PRESETS: Record<string, PretrainPreset> = {
  tiny: {
    name: 'tiny',
    description: 'A ~1M-parameter Llama trained from scratch on the synthetic biography benchmark',
    seed: 0,
    // Why these numbers (1M-parameter runs, measured): 600 people seen often beat 2000 seen rarely
    // (QA accuracy on people seen in biographies only: 26% against 6%; a fact must be seen ~100
    // times before QA generalises to facts learned from statements); full names in 90% of bio
    // sentences and all 4 question phrasings for the QA half make retrieval phrasing-independent.
    // More self-edit demonstrations (2 for everyone, or 800 about people seen nowhere else) cost
    // retrieval (11% and 7.5%) without teaching the model to copy values from the passage, so 30%
    // of the people get one. Trained with SEAL_THREADS=1.
    benchmark: { pretrainPeople: 600, rlPeople: 200, evalPeople: 100 },
    corpus: {
      seed: 0, biosPerPerson: 8, qaPeopleFraction: 0.5, selfEditPeopleFraction: 0.3, selfEditsPerPerson: 1,
      bioPronounProb: 0.1, qaPerAttribute: 4,
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
