// `seal demo`: the whole knowledge-incorporation method on the shipped tiny model and the synthetic
// benchmark, offline, in minutes: baselines, ReST-EM rounds, SEAL's final accuracy, the report.
// The inner-loop and RL settings are the paper's, scaled to a ~1M-parameter model.
import { KNOWLEDGE_PRESETS } from '../pretrain/presets.js';
import { KNOWLEDGE_DEFAULTS, type KnowledgeConfig } from './knowledge-config.js';
import { DEFAULT_MODEL_DIR, runKnowledge, type KnowledgeSummary } from './knowledge.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeReport } from '../report/report.js';

export interface DemoOptions {
  quick?: boolean;
  seed?: number;
  model?: string;
  runsDir?: string;
}

export function demoConfig(options: DemoOptions = {}): KnowledgeConfig {
  const quick = options.quick ?? false;
  const tiny = KNOWLEDGE_PRESETS.tiny!;
  return {
    ...KNOWLEDGE_DEFAULTS,
    name: quick ? 'demo-quick' : 'demo',
    model: options.model ?? '',
    runsDir: options.runsDir ?? 'runs',
    seed: options.seed ?? 0,
    // The benchmark the tiny model was pretrained on: its RL and evaluation people are unseen.
    data: { ...KNOWLEDGE_DEFAULTS.data, synthetic: { seed: tiny.seed, ...tiny.benchmark }, trainPassages: quick ? 6 : 40, evalPassages: quick ? 8 : 60 },
    task: { promptKey: 'implications', splitNewlines: true, grader: 'exact', maxAnswerTokens: 16, answerStop: ['\n'] },
    sampling: { temperature: 1.0, topP: 0.95, maxNewTokens: 160 },
    inner: { ...KNOWLEDGE_DEFAULTS.inner, rank: 16, alpha: 32, lr: 3e-3, epochs: 8, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] },
    restem: { rounds: 2, samplesPerContext: quick ? 3 : 4, evalRepeats: 1, keep: 'beat-baseline', margin: 0 },
    sft: { ...KNOWLEDGE_DEFAULTS.sft, rank: 16, alpha: 32, lr: 1e-3, epochs: 2, gradAccum: 4 },
    teacher: { kind: 'rule', path: '', model: '' },
  };
}

export async function runDemo(options: DemoOptions = {}): Promise<{ runDir: string; seconds: number; summary: KnowledgeSummary; report: string }> {
  const start = performance.now();
  const model = options.model || DEFAULT_MODEL_DIR;
  if (!existsSync(join(model, 'config.json'))) {
    throw new Error(`${model}: the tiny model is not there; \`seal pretrain --preset tiny\` trains it (or pass --model DIR)`);
  }
  const summary = await runKnowledge('train', demoConfig(options));
  const report = writeReport(summary.runDir);
  return { runDir: summary.runDir, seconds: (performance.now() - start) / 1000, summary, report };
}
