// `seal generate`: text from a prompt or a chat message, streamed as it is produced.
import { loadModel } from '../model/load.js';
import { continuationText, generate } from '../generate/generate.js';
import { modelDir, numberFlag, parse, UsageError } from './args.js';
import { attachAdapter } from './adapter.js';

const USAGE = `usage: seal generate --model DIR [--adapter DIR] (--prompt TEXT | --chat TEXT)
                     [--max-new-tokens N] [--temperature T] [--top-p P] [--top-k K] [--seed S] [--json]`;

export async function generateCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    model: { type: 'string' }, adapter: { type: 'string' }, prompt: { type: 'string' }, chat: { type: 'string' },
    'max-new-tokens': { type: 'string' }, temperature: { type: 'string' }, 'top-p': { type: 'string' },
    'top-k': { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' }, dtype: { type: 'string' },
  }, USAGE);
  if ((values.prompt === undefined) === (values.chat === undefined)) throw new UsageError(`give exactly one of --prompt or --chat\n\n${USAGE}`);
  const dtype = values.dtype ?? 'auto';
  if (dtype !== 'auto' && dtype !== 'f32' && dtype !== 'bf16') throw new UsageError(`--dtype must be auto, f32 or bf16, got '${dtype}'`);
  const loaded = loadModel(modelDir(values.model), { dtype });
  if (values.adapter) attachAdapter(loaded, values.adapter);
  const tokenizer = loaded.tokenizer;
  if (!tokenizer) throw new Error(`${loaded.dir}: no tokenizer.json, cannot encode a text prompt`);
  const prompt = values.chat !== undefined
    ? tokenizer.encodeChat([{ role: 'user', content: values.chat }])
    : tokenizer.encode(values.prompt!);
  if (prompt.length === 0) {
    if (loaded.generation.bosTokenId === null) throw new Error('empty prompt and the model has no BOS token to start from');
    prompt.push(loaded.generation.bosTokenId);
  }
  const json = values.json ?? false;
  let printed = '';
  const tokens: number[] = [];
  const [result] = generate(loaded.model, [prompt], {
    maxNewTokens: numberFlag(values['max-new-tokens'], 'max-new-tokens', loaded.generation.maxNewTokens ?? 128, { integer: true, min: 0 }),
    temperature: numberFlag(values.temperature, 'temperature', 0, { min: 0 }),
    topP: numberFlag(values['top-p'], 'top-p', 1, { min: 0 }),
    topK: numberFlag(values['top-k'], 'top-k', 0, { integer: true, min: 0 }),
    seed: numberFlag(values.seed, 'seed', 0, { integer: true }),
    eosTokenIds: loaded.generation.eosTokenIds,
    tokenizer,
    onToken: json ? undefined : (_, token) => {
      // Print the newly settled text; hold back a trailing partial UTF-8 character.
      tokens.push(token);
      const text = continuationText(tokenizer, prompt, tokens);
      if (text.endsWith('\uFFFD') || !text.startsWith(printed)) return;
      process.stdout.write(text.slice(printed.length));
      printed = text;
    },
  });
  if (json) {
    console.log(JSON.stringify({ text: result!.text, tokens: result!.tokens }));
  } else {
    const text = result!.text ?? '';
    if (text.startsWith(printed)) process.stdout.write(text.slice(printed.length));
    process.stdout.write('\n');
  }
  return 0;
}
