// How grids and tasks become text for the model, and how its answer becomes a grid again
// (spec arc.md §2). Test-time training and inference use NumPy's str() of the grid; the self-edit
// prompt shows grids as plain rows of digits (§3.1, built in self-edit.ts from gridToPlainText).
import type { Tokenizer } from '../../model/tokenizer.js';
import type { ArcExample, Grid } from './data.js';

/**
 * §2.1 `PythonListGridRepresenter`: Python str() of the NumPy array. Cells separated by one space,
 * rows by "]\n [" (single digits never make NumPy pad or wrap), e.g. "[[3 3 8]\n [3 7 0]]".
 */
export function gridToText(grid: Grid): string {
  return `[${grid.map((row) => `[${row.join(' ')}]`).join('\n ')}]`;
}

/** §3.1: each row as space-separated digits followed by a newline, e.g. "3 3 8\n3 7 0\n". */
export function gridToPlainText(grid: Grid): string {
  return grid.map((row) => `${row.join(' ')}\n`).join('');
}

/** §2.1 example query: the input grid and the separator the model continues from. */
export function exampleQuery(input: Grid): string {
  return `${gridToText(input)} -> `;
}

/** §2.1 example answer: the output grid and the "#" footer. */
export function exampleAnswer(output: Grid): string {
  return `${gridToText(output)}#`;
}

/**
 * §2.1, quoted from the official repository (MIT): the task instruction, with `{description}`
 * replaced by the empty string as it always is for ARC tasks.
 */
export const TASK_INSTRUCTION =
  'Figure out the underlying transformation in the following examples and apply it to the test case. Here are some examples from this transformation, your answer must follow the format.\n';

/**
 * The instruction with a task description in the template's `{description}` slot (ARC tasks have
 * none; only the tiny model's pretraining corpus names a synthetic task's rule there).
 */
export function taskInstruction(description = ''): string {
  if (!description) return TASK_INSTRUCTION;
  const at = TASK_INSTRUCTION.indexOf('Here are some examples');
  return `${TASK_INSTRUCTION.slice(0, at)}${description.trim()}. ${TASK_INSTRUCTION.slice(at)}`;
}

/** §2.1, quoted from the official repository (MIT). */
export const GRID_FORMAT_SENTENCE = 'The input-output grids are provided as python arrays:\n';

/** The chat messages of one few-shot problem, before any chat template (§2.1 `GPTTextMessageRepresenterV2`). */
export interface TaskMessages {
  /** Instruction, grid sentence, then each demonstration as query + answer + "\n". */
  system: string;
  /** The test query "<test input grid> -> ". */
  user: string;
  /** The target "<test output grid>#". */
  assistant: string;
}

export function taskMessages(demonstrations: readonly ArcExample[], test: ArcExample, description = ''): TaskMessages {
  const shots = demonstrations.map((ex) => `${exampleQuery(ex.input)}${exampleAnswer(ex.output)}\n`).join('');
  return {
    system: `${taskInstruction(description)}${GRID_FORMAT_SENTENCE}${shots}`,
    user: exampleQuery(test.input),
    assistant: exampleAnswer(test.output),
  };
}

/** Renders chat messages with the model's chat template (the tokenizer does). */
export type ChatRenderer = Pick<Tokenizer, 'renderChat'>;

/** §2.1 inference query: the chat template over [system, user] plus the generation prompt. */
export function renderQuery(chat: ChatRenderer, demonstrations: readonly ArcExample[], test: ArcExample, description = ''): string {
  const m = taskMessages(demonstrations, test, description);
  return chat.renderChat([{ role: 'system', content: m.system }, { role: 'user', content: m.user }], { addGenerationPrompt: true });
}

/**
 * §2.1 training text = the template over [system, user, assistant] plus the generation prompt,
 * split where the query ends: `prompt` is exactly what inference sends, `completion` the answer
 * and what the template puts after it (the loss of `train_using_output_tokens`, §5).
 */
export function renderTrainingPair(
  chat: ChatRenderer, demonstrations: readonly ArcExample[], test: ArcExample, description = '',
): { prompt: string; completion: string } {
  const m = taskMessages(demonstrations, test, description);
  const prompt = renderQuery(chat, demonstrations, test, description);
  const full = chat.renderChat(
    [{ role: 'system', content: m.system }, { role: 'user', content: m.user }, { role: 'assistant', content: m.assistant }],
    { addGenerationPrompt: true },
  );
  if (!full.startsWith(prompt)) {
    throw new Error('the chat template does not render the assistant answer after the query text; cannot separate the answer tokens');
  }
  return { prompt, completion: full.slice(prompt.length) };
}

/**
 * Parses grid text in the gridToText format, tolerating any whitespace between tokens. Returns
 * null unless the text is exactly one list of one or more equally long, non-empty rows of single
 * digits: unbalanced brackets, ragged rows, commas, words or multi-digit cells all give null.
 */
export function parseGridText(text: string): Grid | null {
  const tokens = text.match(/\[|\]|[^\s[\]]+/g);
  if (!tokens || tokens[0] !== '[') return null;
  const grid: Grid = [];
  let i = 1;
  while (tokens[i] === '[') {
    i++;
    const row: number[] = [];
    while (i < tokens.length && /^[0-9]$/.test(tokens[i]!)) row.push(Number(tokens[i++]));
    if (tokens[i] !== ']' || row.length === 0) return null;
    if (grid.length > 0 && row.length !== grid[0]!.length) return null;
    grid.push(row);
    i++;
  }
  // Exactly one closing bracket must remain.
  return grid.length > 0 && i === tokens.length - 1 && tokens[i] === ']' ? grid : null;
}

/**
 * A model's answer as a grid, or null when it is not one (the sample then gets no vote).
 * Pre-processing follows §2.2: drop every "#", and if a triple backtick occurs keep what lies
 * between the first two fences. Decoding is stricter than the official reshape (which accepts
 * ragged rows or missing brackets whenever the cell count happens to divide): see parseGridText.
 * Leading and trailing whitespace is ignored (the official decoder rejects a trailing newline).
 */
export function parseAnswer(text: string): Grid | null {
  if (typeof text !== 'string') return null;
  let body = text.replaceAll('#', '');
  if (body.includes('```')) body = body.split('```')[1]!;
  return parseGridText(body.trim());
}
