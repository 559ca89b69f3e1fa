// Tokenizer from a model directory: tokenizer.json + tokenizer_config.json through
// @huggingface/tokenizers, chat templates through @huggingface/jinja, with the special tokens the
// configs name.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { Template } from '@huggingface/jinja';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | string;
  content: string;
}

function readJson(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${path}: ${code === 'ENOENT' ? 'not found' : `malformed JSON (${(err as Error).message})`}`);
  }
}

/** A special token in tokenizer_config.json is a string or an AddedToken object {content, ...}. */
function tokenText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') {
    return (v as { content: string }).content;
  }
  return null;
}

export class Tokenizer {
  readonly bosToken: string | null;
  readonly eosToken: string | null;
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly vocabSize: number;
  private readonly hf: HfTokenizer;
  private readonly chatTemplate: Template | null;
  private readonly templateVars: Record<string, unknown>;

  constructor(tokenizerJson: Record<string, unknown>, tokenizerConfig: Record<string, unknown>, private readonly source = 'tokenizer') {
    this.hf = new HfTokenizer(tokenizerJson, tokenizerConfig);
    this.bosToken = tokenText(tokenizerConfig.bos_token);
    this.eosToken = tokenText(tokenizerConfig.eos_token);
    this.bosId = this.bosToken === null ? null : this.tokenToId(this.bosToken);
    this.eosId = this.eosToken === null ? null : this.tokenToId(this.eosToken);
    this.vocabSize = (this.hf.get_vocab() as unknown as Map<string, number>).size;
    const raw = tokenizerConfig.chat_template;
    let templateText: string | null = null;
    if (typeof raw === 'string') templateText = raw;
    else if (Array.isArray(raw)) {
      const named = raw.find((t: { name?: string }) => t.name === 'default') ?? raw[0];
      templateText = typeof named?.template === 'string' ? named.template : null;
    }
    try {
      this.chatTemplate = templateText === null ? null : new Template(templateText);
    } catch (err) {
      throw new Error(`${source}: field 'chat_template' does not parse (${(err as Error).message})`);
    }
    this.templateVars = {};
    for (const key of ['bos_token', 'eos_token', 'unk_token', 'pad_token']) {
      const text = tokenText(tokenizerConfig[key]);
      if (text !== null) this.templateVars[key] = text;
    }
  }

  static fromDir(dir: string): Tokenizer {
    const jsonPath = join(dir, 'tokenizer.json');
    const configPath = join(dir, 'tokenizer_config.json');
    const config = existsSync(configPath) ? readJson(configPath) : {};
    return new Tokenizer(readJson(jsonPath), config, dir);
  }

  tokenToId(token: string): number | null {
    return this.hf.token_to_id(token) ?? null;
  }

  /** Token ids of text; `addSpecialTokens` applies the tokenizer's post-processor (BOS for Llama). */
  encode(text: string, { addSpecialTokens = true } = {}): number[] {
    return this.hf.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  decode(ids: readonly number[], { skipSpecialTokens = true } = {}): string {
    if (ids.length === 0) return '';
    return this.hf.decode([...ids], { skip_special_tokens: skipSpecialTokens, clean_up_tokenization_spaces: false });
  }

  get hasChatTemplate(): boolean {
    return this.chatTemplate !== null;
  }

  /** The chat template rendered as text (HF apply_chat_template with tokenize=False). */
  renderChat(messages: ChatMessage[], { addGenerationPrompt = true } = {}): string {
    if (!this.chatTemplate) throw new Error(`${this.source}: tokenizer_config.json has no chat_template`);
    return this.chatTemplate.render({ ...this.templateVars, messages, add_generation_prompt: addGenerationPrompt });
  }

  /** Ids of a rendered chat; the template carries its own BOS, so no special tokens are added. */
  encodeChat(messages: ChatMessage[], options = { addGenerationPrompt: true }): number[] {
    return this.encode(this.renderChat(messages, options), { addSpecialTokens: false });
  }
}
