// Grading answers: SQuAD's exact match and token F1 (its official normalisation), and the LLM
// judge's yes/no verdict (spec knowledge.md §6).

/** SQuAD v1.1 normalisation: lower case, no punctuation, no articles, single spaces. */
export function normalizeAnswer(s: string): string {
  return s
    .toLowerCase()
    .replace(/[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g, '')
    .replace(/\b(a|an|the)\b/g, ' ')
    .split(/\s+/)
    .filter((w) => w !== '')
    .join(' ');
}

/** The answer as graded by EM/F1: the first line of the prediction (spec §13: answers are cut at a newline). */
export function firstLine(prediction: string): string {
  return prediction.trim().split('\n')[0]!.trim();
}

export function exactMatch(prediction: string, gold: string): boolean {
  return normalizeAnswer(prediction) === normalizeAnswer(gold);
}

export function tokenF1(prediction: string, gold: string): number {
  const p = normalizeAnswer(prediction).split(' ').filter(Boolean);
  const g = normalizeAnswer(gold).split(' ').filter(Boolean);
  if (p.length === 0 || g.length === 0) return p.length === g.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const w of g) counts.set(w, (counts.get(w) ?? 0) + 1);
  let same = 0;
  for (const w of p) {
    const c = counts.get(w) ?? 0;
    if (c > 0) {
      same++;
      counts.set(w, c - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / p.length;
  const recall = same / g.length;
  return (2 * precision * recall) / (precision + recall);
}

/** The judge's reply is "correct" iff it has the whole word yes and not the whole word no. */
export function judgeVerdict(reply: string): boolean {
  return /\byes\b/i.test(reply) && !/\bno\b/i.test(reply);
}
