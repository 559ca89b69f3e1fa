// Continued pretraining and continual self-edits (spec knowledge.md §8, §9). Placeholder until they land.
import type { KnowledgeConfig } from './knowledge-config.js';

export async function runCpt(_cfg: KnowledgeConfig, _o: { fresh?: boolean }): Promise<{ runDir: string }> {
  throw new Error('seal knowledge cpt: not implemented yet');
}
export async function runContinual(_cfg: KnowledgeConfig, _o: { fresh?: boolean }): Promise<{ runDir: string }> {
  throw new Error('seal knowledge continual: not implemented yet');
}
