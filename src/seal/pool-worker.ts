// One worker of the inner-loop pool (pool.ts): loads the base model once, rebuilds the task from
// its recipe, then runs inner loops as the parent sends them. Leaves when the parent goes away
// (its channel closes), so a killed run leaves no workers behind.
import { loadModel, type LoadedModel } from '../model/load.js';
import { innerLoop } from './inner.js';
import type { InnerJob, TaskRecipe } from './pool.js';
import type { SealTask } from './task.js';

let ready: Promise<{ base: LoadedModel; task: SealTask<unknown> }> | null = null;

async function init(modelDir: string, recipe: TaskRecipe) {
  const base = loadModel(modelDir);
  const factory = (await import(recipe.module))[recipe.name] as (options: unknown, base: LoadedModel) => SealTask<unknown>;
  if (typeof factory !== 'function') throw new Error(`${recipe.module}: no task factory '${recipe.name}'`);
  return { base, task: factory(recipe.options, base) };
}

process.on('message', (msg: { init?: { modelDir: string; recipe: TaskRecipe }; id?: number; job?: InnerJob }) => {
  if (msg.init) {
    ready = init(msg.init.modelDir, msg.init.recipe);
    return;
  }
  const { id, job } = msg as { id: number; job: InnerJob };
  void (async () => {
    try {
      const { base, task } = await ready!;
      const result = await innerLoop(base, task, job.context, job.selfEdit, job.settings, job.seed);
      process.send!({ id, result });
    } catch (e) {
      process.send!({ id, error: e instanceof Error ? e.message : String(e) });
    }
  })();
});
process.on('disconnect', () => process.exit(0));
