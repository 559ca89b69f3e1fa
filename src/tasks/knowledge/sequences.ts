// From a self-edit to inner-loop training sequences (spec knowledge.md §3), with this project's
// decisions (§13): an empty self-edit trains on the passage alone (no title-only sequence).
import { trainingSequence } from './prompts.js';

const QUESTION = /Question\s+\d+:/;
const ANSWER = /Answer\s*:/;

/**
 * Segments split on '---'; with splitNewlines, either one sequence per "Question N:" block
 * (self-QA) or one per non-empty line (dropping a preamble line before a "1." list); every
 * sequence is prefixed "{title}\n"; the passage itself is always the last sequence.
 */
export function buildTrainSequences(completion: string, context: string, title: string, splitNewlines: boolean): string[] {
  const stripped = completion.trim();
  let pieces: string[];
  if (stripped === '') {
    pieces = [];
  } else if (splitNewlines && QUESTION.test(completion) && ANSWER.test(completion)) {
    pieces = stripped.split(/\n(?=Question\s+\d+:)/);
    if (pieces.length && !pieces[0]!.trimStart().startsWith('Question')) pieces[0] = `Question 1: ${pieces[0]!.trim()}`;
  } else {
    const segments = completion.split('---').map((s) => s.trim()).filter((s) => s !== '');
    const parts = segments.length ? segments : [stripped];
    if (splitNewlines) {
      pieces = parts.flatMap((s) => s.split(/\r\n|\r|\n/).map((l) => l.trim()).filter((l) => l !== ''));
      if (pieces.length >= 2 && pieces[1]!.startsWith('1.')) pieces = pieces.slice(1);
    } else {
      pieces = parts;
    }
  }
  return [...pieces.map((p) => trainingSequence(title, p)), trainingSequence(title, context.trim())];
}
