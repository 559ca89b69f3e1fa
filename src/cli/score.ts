// `seal score`: every token's log-probability under the model, and the mean loss (perplexity).
import { loadModel } from '../model/load.js';
import { scoreIds } from '../generate/score.js';
import { modelDir, parse, UsageError } from './args.js';
import { attachAdapter } from './adapter.js';

const USAGE = 'usage: seal score --model DIR [--adapter DIR] --text TEXT [--json]';

export async function scoreCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    model: { type: 'string' }, adapter: { type: 'string' }, text: { type: 'string' }, json: { type: 'boolean' },
  }, USAGE);
  if (values.text === undefined) throw new UsageError(`--text is required\n\n${USAGE}`);
  const loaded = loadModel(modelDir(values.model));
  if (values.adapter) attachAdapter(loaded, values.adapter);
  if (!loaded.tokenizer) throw new Error(`${loaded.dir}: no tokenizer.json, cannot encode --text`);
  const ids = loaded.tokenizer.encode(values.text);
  if (ids.length === 0) throw new Error('--text encodes to no tokens');
  const { tokens, loss } = scoreIds(loaded.model, ids);
  if (values.json) {
    console.log(JSON.stringify({ tokens, loss }));
  } else {
    for (const t of tokens) {
      const piece = JSON.stringify(loaded.tokenizer.decode([t.id], { skipSpecialTokens: false }));
      console.log(`${String(t.id).padStart(7)}  ${t.logprob === null ? '      —' : t.logprob.toFixed(4).padStart(9)}  ${piece}`);
    }
    console.log(`mean loss ${loss === null ? '—' : loss.toFixed(4)}  perplexity ${loss === null ? '—' : Math.exp(loss).toFixed(3)}`);
  }
  return 0;
}
