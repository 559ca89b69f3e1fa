// The knowledge task's prompt strings (docs/spec knowledge.md §2, §3, §5; quoted from the official SEAL
// repository, MIT), shared by the pretraining corpus so the tiny model sees exactly these formats.

/** knowledge.md §2 `implications` (the default self-edit prompt); ends with one newline. */
export const IMPLICATIONS_TEMPLATE =
  "Let's read the following passage and produce a list of implications derived directly or indirectly from the content.\n\nPassage:\n{title}\n{context}\n\nImplications:\n";

/** knowledge.md §5 `SQUAD_ANSWER_TEMPLATE_BASE`; `{question}` is the topic-prefixed question. */
export const QA_TEMPLATE = "Let's answer a question directly and concisely.\nQuestion: {question}\nAnswer:\n";

/** knowledge.md §3 `TRAINING_SEQUENCE_TEMPLATE`. */
export const TRAINING_SEQUENCE_TEMPLATE = '{title}\n{text}';

/** Plain substitution (like Python str.format with these fields: no other braces occur). */
function fill(template: string, fields: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (m, key: string) => (key in fields ? fields[key] : m));
}

/** The self-edit prompt for a passage (context inserted as is, not stripped). */
export function implicationsPrompt(title: string, context: string): string {
  return fill(IMPLICATIONS_TEMPLATE, { title, context });
}

/** "Topic: {title}\n{question}" — how the driver rewrites each question (knowledge.md §5). */
export function topicQuestion(title: string, question: string): string {
  return `Topic: ${title}\n${question}`;
}

/** The no-context QA prompt for a question about `title`; ends with "Answer:\n". */
export function qaPrompt(title: string, question: string): string {
  return fill(QA_TEMPLATE, { question: topicQuestion(title, question) });
}

/** One inner-loop training sequence: "{title}\n{text}". */
export function trainingSequence(title: string, text: string): string {
  return fill(TRAINING_SEQUENCE_TEMPLATE, { title, text });
}
