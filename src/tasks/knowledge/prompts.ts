// The knowledge task's prompt strings (spec knowledge.md §2, §3, §5, §6; the templates are quoted from
// the official SEAL repository, MIT). The synthetic pretraining corpus uses the same strings, so the
// tiny model sees exactly these formats.

/** knowledge.md §2 `implications` (the default self-edit prompt); ends with one newline. */
export const IMPLICATIONS_TEMPLATE =
  "Let's read the following passage and produce a list of implications derived directly or indirectly from the content.\n\nPassage:\n{title}\n{context}\n\nImplications:\n";

/** knowledge.md §2: every self-edit prompt of the official code, by its --prompt_key. */
export const SELF_EDIT_TEMPLATES = {
  implications: IMPLICATIONS_TEMPLATE,
  'implications-long':
    "Let's read the following passage and produce a long list of implications derived directly or indirectly from the content.\n\nPassage:\n{title}\n{context}\n\nImplications:\n",
  'implications-very-long':
    "Let's read the following passage and produce a very long list of implications derived directly or indirectly from the content.\n\nPassage:\n{title}\n{context}\n\nImplications:\n",
  rewrite:
    "Let's read the following passage and rewrite it in a few different ways, each one separated by a newline.\n\nPassage:\n{title}\n{context}\n\nRewritten passages:\n",
  'self-qa':
    "Let's read the following passage and rewrite it in a question-answer format.\n\nPassage:\n{title}\n{context}\n\nQuestion 1: ",
} as const;

/** 'none' trains on the passage alone (no self-edit is generated). */
export type SelfEditPromptKey = keyof typeof SELF_EDIT_TEMPLATES | 'none';
export const SELF_EDIT_PROMPT_KEYS = [...Object.keys(SELF_EDIT_TEMPLATES), 'none'] as SelfEditPromptKey[];

/** knowledge.md §6 `SQUAD_GRADE_TEMPLATE`: the LLM judge's prompt. */
export const GRADE_TEMPLATE =
  "You are a grading assistant. Your job is to determine whether a student's answer correctly answers the question based solely on the provided gold answer. Do not use any outside knowledge. The student answer can include additional information, but it must at least fully convey the gold answer and must not contradict it. Ignore style, phrasing, or extra details that do not affect correctness. Respond ONLY with 'yes' or 'no'.\n\nQuestion: {question}\nGold answer: {gold}\nStudent answer: {pred}\nIs the student answer correct based solely on the gold answer? Respond 'yes' or 'no'.";

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

export function selfEditPrompt(key: Exclude<SelfEditPromptKey, 'none'>, title: string, context: string): string {
  return fill(SELF_EDIT_TEMPLATES[key], { title, context });
}

/** The judge's prompt: question is the topic-prefixed question, pred the stripped prediction. */
export function gradePrompt(question: string, gold: string, pred: string): string {
  return fill(GRADE_TEMPLATE, { question, gold, pred });
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
