// --adapter DIR for generate and score: a PEFT LoRA adapter attached over the loaded base.
import type { LoadedModel } from '../model/load.js';
import { LoraAdapter } from '../lora/lora.js';

export function attachAdapter(loaded: LoadedModel, dir: string): LoraAdapter {
  const adapter = LoraAdapter.load(dir, loaded.model);
  adapter.attach(loaded.model);
  return adapter;
}
