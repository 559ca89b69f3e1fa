// --adapter DIR for generate and score: LoRA adapters arrive with the finetuning work (issue C).
import type { LoadedModel } from '../model/load.js';

export function attachAdapter(_loaded: LoadedModel, dir: string): void {
  throw new Error(`--adapter ${dir}: LoRA adapters are not supported yet`);
}
