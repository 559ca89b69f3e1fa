// The knowledge-incorporation run config: every number defaults to the paper's (spec knowledge.md
// §2–§9); a config file overrides any of them.
import { LORA_TARGETS } from '../lora/lora.js';
import { SELF_EDIT_PROMPT_KEYS } from '../tasks/knowledge/prompts.js';
import { readConfigFile, resolveConfig, type FieldRule } from '../config/config.js';
import type { BenchmarkOptions } from '../tasks/synthetic/benchmark.js';

export const KNOWLEDGE_DEFAULTS = {
  name: 'knowledge',
  /** Policy and inner-loop base ('' = the shipped tiny model). */
  model: '',
  runsDir: 'runs',
  seed: 0,
  /**
   * Processes running inner loops side by side, each holding its own copy of the model (0 = one per
   * core). For small models on several cores (the tiny demo model); 1 runs them in this process.
   */
  workers: 1,
  data: {
    /** SQuAD-format JSON files; ignored when `synthetic` is set. */
    train: '',
    eval: '',
    /** Generate the synthetic benchmark instead (its RL split trains, its eval split evaluates). */
    synthetic: null as BenchmarkOptions | null,
    /** RL passages per ReST-EM round (each round its own when restem.disjointRounds). */
    trainPassages: 50,
    evalPassages: 200,
    /** Python's random.seed of the official passage selection; null keeps file order. */
    shuffleSeed: 42 as number | null,
  },
  task: {
    promptKey: 'implications',
    splitNewlines: true,
    grader: 'judge',
    maxAnswerTokens: 64,
    answerStop: [] as string[],
    /** What ReST-EM ranks and keeps self-edits by: the graded accuracy (the paper), or the gold answers' likelihood. */
    rankBy: 'grade',
  },
  /** The LLM judge: a local model directory ('' = the policy model). */
  judge: { model: '' },
  sampling: { temperature: 1.0, topP: 0.95, maxNewTokens: 8192 },
  inner: {
    lr: 1e-3, epochs: 10, batchSize: 1, gradAccum: 1, rank: 32, alpha: 64, dropout: 0,
    targets: ['q_proj', 'v_proj'], completionOnly: false,
  },
  /**
   * disjointRounds: every round draws its own data.trainPassages passages, none seen by an earlier
   * round (the paper's round 2 used iter1_train.json: 50 passages disjoint from round 1's).
   */
  restem: { rounds: 2, samplesPerContext: 5, evalRepeats: 3, keep: 'beat-baseline', margin: 0, disjointRounds: true, rewardWithoutContext: false },
  sft: {
    rank: 64, alpha: 128, dropout: 0, targets: [...LORA_TARGETS] as string[], lr: 3e-4, epochs: 2, batchSize: 1,
    // The paper's effective batch: 1 per device × 5 accumulation × 2 processes.
    gradAccum: 10,
  },
  eval: {
    /** Which rows the baseline table has. */
    conditions: ['base', 'passage', 'baseSelfEdits', 'teacherSelfEdits', 'seal'] as string[],
    /** Inner loops per evaluation passage and condition, averaged (the paper: 1, over 200 passages). */
    repeats: 1,
    /**
     * Self-edits sampled per evaluation passage in the self-edit rows (base model, SEAL rounds), each
     * trained in its own inner loops and averaged (the paper: 1). The same expectation with less of
     * the sampling noise, which is most of a row's seed-to-seed spread on small benchmarks.
     */
    samples: 1,
  },
  /** External teacher: 'rule' (synthetic data: restates every fact), 'file' (a self-edits JSON), 'model' (a local model directory). */
  teacher: { kind: 'rule', path: '', model: '' },
  cpt: { passages: 200, samplesPerContext: 5, lr: 1e-3, epochs: 3, batchSize: 4, gradAccum: 2, splitNewlines: false, source: 'policy' },
  continual: { sequences: 8, steps: 8 },
};

export type KnowledgeConfig = typeof KNOWLEDGE_DEFAULTS;

const RULES: Record<string, FieldRule> = {
  seed: { integer: true, min: 0 },
  workers: { integer: true, min: 0 },
  'data.synthetic': { nullable: true },
  'data.synthetic.seed': {}, 'data.synthetic.pretrainPeople': {}, 'data.synthetic.rlPeople': {}, 'data.synthetic.evalPeople': {},
  'data.synthetic.passagePronounProb': {}, 'data.synthetic.questionsPerAttribute': {},
  'data.trainPassages': { integer: true, min: -1 },
  'data.evalPassages': { integer: true, min: -1 },
  'data.shuffleSeed': { nullable: true, integer: true, min: 0 },
  'task.promptKey': { oneOf: SELF_EDIT_PROMPT_KEYS },
  'task.grader': { oneOf: ['exact', 'f1', 'judge'] },
  'task.rankBy': { oneOf: ['grade', 'answer-likelihood'] },
  'task.maxAnswerTokens': { integer: true, min: 1 },
  'sampling.temperature': { min: 0 },
  'sampling.topP': { min: 0, max: 1 },
  'sampling.maxNewTokens': { integer: true, min: 1 },
  'inner.lr': { min: 0 }, 'inner.epochs': { integer: true, min: 1 }, 'inner.batchSize': { integer: true, min: 1 },
  'inner.gradAccum': { integer: true, min: 1 }, 'inner.rank': { integer: true, min: 1 }, 'inner.alpha': { min: 0 },
  'inner.dropout': { min: 0, max: 0.99 }, 'inner.targets': { eachOf: LORA_TARGETS },
  'restem.rounds': { integer: true, min: 0 }, 'restem.samplesPerContext': { integer: true, min: 1 },
  'restem.evalRepeats': { integer: true, min: 1 }, 'restem.keep': { oneOf: ['beat-baseline', 'top1'] },
  'sft.targets': { eachOf: LORA_TARGETS }, 'sft.rank': { integer: true, min: 1 }, 'sft.epochs': { integer: true, min: 1 },
  'sft.batchSize': { integer: true, min: 1 }, 'sft.gradAccum': { integer: true, min: 1 },
  'eval.conditions': { eachOf: ['base', 'passage', 'baseSelfEdits', 'teacherSelfEdits', 'seal'] }, 'eval.repeats': { integer: true, min: 1 },
  'eval.samples': { integer: true, min: 1 },
  'teacher.kind': { oneOf: ['rule', 'file', 'model'] },
  'cpt.passages': { integer: true, min: 1 }, 'cpt.samplesPerContext': { integer: true, min: 0 },
  'cpt.source': { oneOf: ['policy', 'teacher', 'none'] },
  'continual.sequences': { integer: true, min: 1 }, 'continual.steps': { integer: true, min: 1 },
};

export function loadKnowledgeConfig(path: string | null, overrides: Record<string, unknown> = {}): KnowledgeConfig {
  const user = path ? readConfigFile(path) : {};
  const merged = resolveConfig(KNOWLEDGE_DEFAULTS, user, path ?? 'config', RULES);
  return resolveConfig(merged, overrides, 'command line', RULES);
}
