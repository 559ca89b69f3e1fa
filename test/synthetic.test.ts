// The synthetic knowledge benchmark (people, passages, splits, pretraining corpus, teacher self-edits)
// and the byte-level BPE trainer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ATTRIBUTES, CITIES, COMPANIES, MAJORS, MONTHS, Rng, UNIVERSITIES, generatePeople, namePools, type Person } from '../src/tasks/synthetic/people.js';
import { PASSAGE_TEMPLATES, QUESTION_TEMPLATES, makePassage, questionAttribute, type KnowledgeRecord } from '../src/tasks/synthetic/passages.js';
import { makeBenchmark, writeBenchmark } from '../src/tasks/synthetic/benchmark.js';
import {
  SELF_EDIT_STYLES, buildCorpus, copyDrillDocuments, corpusStats, corpusTexts, demoSelfEdit, expectedCorpusCounts, freshSelfEditDocuments, implicationsPrompt, qaPrompt, teacherSelfEdit,
} from '../src/tasks/synthetic/corpus.js';
import { preTokenize, trainBpe, writeTokenizer, type TrainedBpe } from '../src/tokenizer/train-bpe.js';
import { Tokenizer } from '../src/model/tokenizer.js';
import { scoreSelfEdit } from '../src/pretrain/recall.js';

const SMALL = { seed: 7, pretrainPeople: 300, rlPeople: 40, evalPeople: 30 };
const bench = makeBenchmark(SMALL);

function count(haystack: string, needle: string): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) n++;
  return n;
}

test('benchmark and corpus are deterministic for a seed', () => {
  assert.deepEqual(makeBenchmark(SMALL), bench);
  assert.notDeepEqual(makeBenchmark({ ...SMALL, seed: 8 }).eval, bench.eval);
  assert.deepEqual(buildCorpus(bench.pretrain, { seed: 3 }), buildCorpus(bench.pretrain, { seed: 3 }));
  assert.notDeepEqual(buildCorpus(bench.pretrain, { seed: 4 }), buildCorpus(bench.pretrain, { seed: 3 }));
  assert.deepEqual(generatePeople(50, 'x'), generatePeople(50, 'x'));
});

test('splits are disjoint in people and full names are unique', () => {
  const names = [...bench.pretrain, ...bench.rlPeople, ...bench.evalPeople].map((p) => p.fullName);
  assert.equal(new Set(names).size, names.length);
  assert.equal(bench.pretrain.length, 300);
  assert.equal(bench.rl.length, 40);
  assert.equal(bench.eval.length, 30);
  const pre = new Set(bench.pretrain.map((p) => p.fullName));
  for (const r of [...bench.rl, ...bench.eval]) assert.ok(!pre.has(r.title), r.title);
  const rl = new Set(bench.rl.map((r) => r.title));
  for (const r of bench.eval) assert.ok(!rl.has(r.title));
  // generatePeople honours an exclusion list.
  const more = generatePeople(200, 7, { exclude: names });
  for (const p of more) assert.ok(!names.includes(p.fullName));
});

test('pools: no value is a substring of another value or of a name part', () => {
  const { male, female, last } = namePools();
  const values = [...new Set([...CITIES, ...UNIVERSITIES, ...MAJORS, ...COMPANIES, ...MONTHS])];
  const words = [...male, ...female, ...last];
  for (const v of values) {
    for (const w of values) if (v !== w) assert.ok(!w.includes(v), `"${v}" inside "${w}"`);
    for (const w of words) assert.ok(!w.includes(v) && !v.includes(w), `"${v}" vs name part "${w}"`);
  }
  assert.equal(new Set(male).size + new Set(female).size + new Set(last).size, male.length + female.length + last.length);
  for (const list of [male, female]) for (const n of list) assert.ok(!female.includes(n) || !male.includes(n));
});

test('records: SQuAD-style, title = full name, gold answers are the attribute values', () => {
  const check = (records: KnowledgeRecord[], people: Person[]) => {
    records.forEach((r, i) => {
      const p = people[i];
      assert.deepEqual(Object.keys(r).sort(), ['context', 'questions', 'title']);
      assert.equal(r.title, p.fullName);
      assert.equal(r.questions.length, ATTRIBUTES.length);
      const asked = r.questions.map((q) => questionAttribute(q.question, r.title));
      assert.deepEqual(asked, [...ATTRIBUTES]);
      r.questions.forEach((q, k) => {
        assert.deepEqual(Object.keys(q).sort(), ['answer', 'question']);
        assert.equal(q.answer, p[ATTRIBUTES[k]]);
        assert.ok(q.question.includes(r.title));
      });
    });
  };
  check(bench.rl, bench.rlPeople);
  check(bench.eval, bench.evalPeople);
  assert.match(bench.eval[0].questions[0].answer, /^[A-Z][a-z]+ \d{1,2}, \d{4}$/);
});

test('every passage states every attribute exactly once, full name first', () => {
  const rng = new Rng(1);
  const passages = [
    ...bench.eval.map((r, i) => ({ text: r.context, p: bench.evalPeople[i] })),
    ...bench.pretrain.slice(0, 100).map((p) => ({ text: makePassage(p, rng).text, p })),
  ];
  for (const { text, p } of passages) {
    assert.ok(text.startsWith(p.fullName) || text.startsWith(`The day ${p.fullName}`), text);
    assert.equal(text.split(/(?<=\.) /).length, ATTRIBUTES.length, text);
    for (const attr of ATTRIBUTES) {
      const expected = ATTRIBUTES.filter((a) => p[a] === p[attr]).length; // birth city may equal work city
      assert.equal(count(text, p[attr]), expected, `${attr} in: ${text}`);
    }
  }
  // Sentence order and templates vary.
  const firsts = new Set(bench.eval.map((r) => r.context.split(/(?<=\.) /)[1].replace(/^(He|She|His|Her) /, '').slice(0, 12)));
  assert.ok(firsts.size > 5);
});

test('question phrasings share no word trigram with any passage template', () => {
  const words = (t: string) =>
    t.replace(/\{N's\}|\{P\}/g, "X's").replace(/\{N\}|\{S\}|\{s\}/g, 'X').replace(/\{p\}/g, 'his').replace(/\{V\}/g, 'V')
      .toLowerCase().replace(/[.?,]/g, '').split(/\s+/).filter(Boolean);
  const trigrams = (ws: string[]) => ws.slice(2).map((_, i) => ws.slice(i, i + 3).join(' '));
  const passageTri = new Set(ATTRIBUTES.flatMap((a) => PASSAGE_TEMPLATES[a].flatMap((t) => trigrams(words(t)))));
  for (const a of ATTRIBUTES) {
    assert.ok(PASSAGE_TEMPLATES[a].length >= 5);
    assert.ok(QUESTION_TEMPLATES[a].length >= 3);
    for (const q of QUESTION_TEMPLATES[a]) for (const tri of trigrams(words(q))) assert.ok(!passageTri.has(tri), `"${q}" shares "${tri}"`);
  }
  // On real records: no question (minus its "?") occurs in the passage.
  for (const r of bench.eval) for (const q of r.questions) assert.ok(!r.context.includes(q.question.slice(0, -1)));
});

test('corpus: the three kinds in the declared proportions, exact QA and implications prompts', () => {
  const options = { seed: 1, biosPerPerson: 3, qaPeopleFraction: 0.4, selfEditPeopleFraction: 0.6, selfEditsPerPerson: 2, styleWeights: { fullname: 0.1 } };
  const docs = buildCorpus(bench.pretrain, options);
  const stats = corpusStats(docs);
  const expected = expectedCorpusCounts(bench.pretrain.length, options);
  assert.deepEqual(expected, { bio: 900, qa: 120 * 6, selfedit: 180 * 2 });
  assert.equal(stats.byKind.bio.documents, expected.bio);
  assert.equal(stats.byKind.qa.documents, expected.qa);
  assert.equal(stats.byKind.selfedit.documents, expected.selfedit);
  assert.equal(stats.documents, docs.length);
  for (const s of SELF_EDIT_STYLES) assert.ok((stats.byStyle[s] ?? 0) > 0, `style ${s} missing`);

  const byName = new Map(bench.pretrain.map((p) => [p.fullName, p]));
  const pretrainNames = new Set(byName.keys());
  const qaPeople = new Set<string>();
  const biosPer = new Map<string, number>();
  for (const d of docs) {
    assert.ok(pretrainNames.has(d.person), 'corpus uses pretraining people only');
    const p = byName.get(d.person)!;
    if (d.kind === 'bio') {
      biosPer.set(d.person, (biosPer.get(d.person) ?? 0) + 1);
      for (const attr of ATTRIBUTES) assert.ok(d.text.includes(p[attr]));
    } else if (d.kind === 'qa') {
      qaPeople.add(d.person);
      const m = /^Let's answer a question directly and concisely\.\nQuestion: Topic: (.+)\n(.+\?)\nAnswer:\n(.+)$/.exec(d.text);
      assert.ok(m, d.text);
      assert.equal(m[1], p.fullName);
      assert.equal(d.text, qaPrompt(p.fullName, m[2]) + m[3]);
      const attr = questionAttribute(m[2], p.fullName);
      assert.ok(attr);
      assert.equal(m[3], p[attr]);
    } else {
      const prefix = "Let's read the following passage and produce a list of implications derived directly or indirectly from the content.\n\nPassage:\n";
      assert.ok(d.text.startsWith(prefix + p.fullName + '\n'));
      const [head, edit] = d.text.split('\n\nImplications:\n');
      const context = head.slice(prefix.length + p.fullName.length + 1);
      assert.equal(d.text, implicationsPrompt(p.fullName, context) + edit);
      assert.ok(edit.trim().length > 0 && edit === edit.trim());
      assert.ok(!edit.includes('\n\n'));
    }
  }
  assert.equal(qaPeople.size, 120);
  assert.ok([...biosPer.values()].every((n) => n === 3) && biosPer.size === 300);
  // Titled bios ("{name}\n...") and plain bios both occur.
  const bios = docs.filter((d) => d.kind === 'bio');
  const titled = bios.filter((d) => d.text.startsWith(`${d.person}\n`)).length;
  assert.ok(titled > bios.length * 0.35 && titled < bios.length * 0.65);
  // Self-edit lengths vary.
  const lineCounts = new Set(docs.filter((d) => d.kind === 'selfedit').map((d) => d.text.split('Implications:\n')[1].split('\n').length));
  assert.ok(lineCounts.size >= 6);
  assert.equal(corpusTexts(docs).length, docs.length);
});

test('per-epoch fresh demonstrations: new people every epoch, none from the benchmark, same for the same seed', () => {
  const options = { seed: 2, freshSelfEditPeoplePerEpoch: 40 };
  const exclude = [...bench.pretrain, ...bench.rlPeople, ...bench.evalPeople];
  const taken = new Set(exclude.map((p) => p.fullName));
  const e0 = freshSelfEditDocuments(0, options, exclude);
  const e1 = freshSelfEditDocuments(1, options, exclude);
  assert.equal(e0.length, 40);
  assert.equal(e1.length, 40);
  assert.deepEqual(freshSelfEditDocuments(0, options, exclude), e0);
  assert.deepEqual(freshSelfEditDocuments(0, { freshSelfEditPeoplePerEpoch: 0 }, exclude), []);
  for (const d of [...e0, ...e1]) {
    assert.equal(d.kind, 'selfedit');
    assert.ok(!taken.has(d.person), `${d.person} is a benchmark person`);
    const [head, edit] = d.text.split('\n\nImplications:\n');
    const context = head.slice(head.indexOf(`${d.person}\n`) + d.person.length + 1);
    assert.equal(d.text, implicationsPrompt(d.person, context) + edit);
  }
  // Epochs differ in their people: nothing learned about one epoch's people answers the next's.
  const names0 = new Set(e0.map((d) => d.person));
  assert.ok(e1.filter((d) => names0.has(d.person)).length < 4);
  // Adding per-epoch people leaves the fixed corpus as it was.
  assert.deepEqual(buildCorpus(bench.pretrain.slice(0, 50), options), buildCorpus(bench.pretrain.slice(0, 50), { seed: 2 }));
});

test('copy drills: distinct attribute values and dates, then exactly the same sequence again, new every epoch', () => {
  const options = { seed: 2, copyDrillsPerEpoch: 30 };
  const e0 = copyDrillDocuments(0, options);
  const e1 = copyDrillDocuments(1, options);
  assert.equal(e0.length, 30);
  assert.deepEqual(copyDrillDocuments(0, options), e0);
  assert.deepEqual(copyDrillDocuments(0, { seed: 2 }), []);
  assert.notDeepEqual(e1, e0);
  // Values contain spaces, so split greedily by the pool: every word must belong to a value.
  const pool = [...new Set([...CITIES, ...UNIVERSITIES, ...MAJORS, ...COMPANIES])].sort((x, y) => y.length - x.length);
  for (const d of [...e0, ...e1]) {
    assert.equal(d.kind, 'drill');
    const m = /^Repeat: (.*)\nRepeat: (.*)$/.exec(d.text);
    assert.ok(m, d.text);
    assert.equal(m[1], m[2]);
    let rest = m[1]!;
    const values: string[] = [];
    while (rest.length > 0) {
      const date = /^[A-Z][a-z]+ \d{1,2}, \d{4}/.exec(rest)?.[0];
      const v = date && MONTHS.some((mo) => date.startsWith(`${mo} `)) ? date : pool.find((p) => rest === p || rest.startsWith(`${p} `));
      assert.ok(v, `no pool value starts "${rest}"`);
      values.push(v);
      rest = rest.slice(v.length + 1);
    }
    const dates = values.filter((v) => /\d/.test(v)).length;
    assert.ok(dates <= 2 && values.length - dates >= 8 && values.length - dates <= 16, d.text);
    assert.equal(new Set(values).size, values.length, d.text);
  }
});

test('self-edit fidelity score: the teacher states every fact right, noisy demonstrations state wrong values', () => {
  const p = bench.evalPeople[0];
  const teacher = scoreSelfEdit(teacherSelfEdit(p), p);
  assert.equal(teacher.wrong, 0);
  assert.equal(teacher.correctAttributes, 6);
  assert.ok(teacher.right >= 5 && teacher.fullName);
  const rng = new Rng('fidelity');
  const noisy = scoreSelfEdit(demoSelfEdit(p, makePassage(p, rng), 'noisy', rng), p);
  assert.ok(noisy.wrong >= 1 && noisy.correctAttributes <= 5, JSON.stringify(noisy));
  assert.deepEqual(scoreSelfEdit('Nothing about anyone.', p), { right: 0, wrong: 0, correctAttributes: 0, fullName: false });
});

test('teacher self-edit restates every fact in several phrasings, one fact per line, from a person or a record', () => {
  bench.evalPeople.forEach((p, i) => {
    const fromPerson = teacherSelfEdit(p);
    const fromRecord = teacherSelfEdit(bench.eval[i]);
    for (const edit of [fromPerson, fromRecord]) {
      const lines = edit.split('\n');
      assert.equal(lines.length, 18);
      for (const line of lines) {
        assert.ok(line.includes(p.fullName));
        const stated = ATTRIBUTES.filter((a) => line.includes(p[a]));
        assert.ok(stated.length >= 1 && new Set(stated.map((a) => p[a])).size === 1, line);
      }
      for (const attr of ATTRIBUTES) assert.ok(lines.filter((l) => l.includes(p[attr])).length >= 3);
      assert.equal(new Set(lines).size, lines.length);
    }
    if (/\b(he|she|his|her)\b/i.test(bench.eval[i].context)) assert.equal(fromRecord, fromPerson);
  });
  const withQa = teacherSelfEdit(bench.evalPeople[0], { phrasingsPerFact: 2, includeQuestions: true }).split('\n');
  assert.equal(withQa.length, 18);
  assert.equal(withQa.filter((l) => l.startsWith('Question: ')).length, 6);
});

test('writeBenchmark writes the split files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seal-syn-'));
  try {
    const files = writeBenchmark(dir, SMALL);
    assert.deepEqual(JSON.parse(readFileSync(files.eval, 'utf8')), bench.eval);
    assert.deepEqual(JSON.parse(readFileSync(files.rl, 'utf8')), bench.rl);
    assert.deepEqual(JSON.parse(readFileSync(files.pretrain, 'utf8')), bench.pretrain);
    assert.equal(JSON.parse(readFileSync(files.meta, 'utf8')).counts.evalQuestions, 180);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// BPE

const corpus = corpusTexts(buildCorpus(bench.pretrain, { seed: 0 }));
const trained = trainBpe(corpus, { vocabSize: 1024 });

function withTokenizer<T>(t: TrainedBpe, fn: (tok: Tokenizer) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'seal-bpe-'));
  try {
    writeTokenizer(dir, t);
    return fn(Tokenizer.fromDir(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reference BPE: repeatedly merge the lowest-ranked adjacent pair (leftmost occurrences first). */
function referenceIds(t: TrainedBpe, text: string): number[] {
  const rank = new Map(t.merges.map(([a, b], i) => [`${a} ${b}`, i]));
  const ids: number[] = [];
  for (const word of preTokenize(text)) {
    let syms = Array.from(word);
    for (;;) {
      let best = -1, bestRank = Infinity;
      for (let i = 0; i + 1 < syms.length; i++) {
        const r = rank.get(`${syms[i]} ${syms[i + 1]}`);
        if (r !== undefined && r < bestRank) { bestRank = r; best = i; }
      }
      if (best < 0) break;
      const [a, b] = t.merges[bestRank];
      const next: string[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) { next.push(a + b); i++; } else next.push(syms[i]);
      }
      syms = next;
    }
    for (const s of syms) ids.push(t.vocab[s]);
  }
  return ids;
}

const UNICODE_SAMPLES = [
  'naïve café — 東京 🦙 \t tabs\nand  double  spaces',
  "it's   they'll  we'd\r\n\u0000\u00ff\u{10ffff} Ωμέγα العربية",
  '   leading and trailing   ',
  '',
  '1234567890 3.14159 $%^&*()[]{}<>',
];

test('BPE: vocabulary size, determinism, special tokens as last ids', () => {
  assert.equal(trained.vocabSize, 1024);
  assert.equal(Object.keys(trained.vocab).length + trained.specialTokens.length, 1024);
  assert.equal(trained.merges.length, 1024 - 256 - 3);
  assert.deepEqual(trained.specialTokens.map((s) => s.id), [1021, 1022, 1023]);
  const ids = Object.values(trained.vocab).sort((a, b) => a - b);
  assert.deepEqual(ids, Array.from({ length: 1021 }, (_, i) => i));
  // Same texts in another order → identical files.
  const again = trainBpe([...corpus].reverse(), { vocabSize: 1024 });
  assert.equal(JSON.stringify(again.tokenizerJson), JSON.stringify(trained.tokenizerJson));
  assert.equal(JSON.stringify(again.tokenizerConfig), JSON.stringify(trained.tokenizerConfig));
  // Small vocabularies are respected too.
  const small = trainBpe(corpus.slice(0, 200), { vocabSize: 300 });
  assert.equal(small.vocabSize, 300);
  assert.equal(small.merges.length, 300 - 256 - 3);
  // Starting from bytes, only the most frequent pairs can come first.
  assert.deepEqual(trainBpe(['aaab aaab aaab xy'], { vocabSize: 257, specialTokens: [] }).merges, [['a', 'a']]);
});

test('BPE: loads in our Tokenizer; ids are what the merges imply; round-trips', () => {
  withTokenizer(trained, (tok) => {
    for (const text of [...corpus.slice(0, 200), ...UNICODE_SAMPLES]) {
      const ids = tok.encode(text);
      assert.deepEqual(ids, referenceIds(trained, text), JSON.stringify(text.slice(0, 60)));
      assert.equal(tok.decode(ids), text);
    }
    // Compression on in-distribution text.
    const sample = corpus.slice(0, 100).join('\n');
    assert.ok(sample.length / tok.encode(sample).length > 3);
    // Random byte strings (as UTF-8-valid text) round-trip as well.
    const rng = new Rng(5);
    for (let k = 0; k < 50; k++) {
      let s = '';
      for (let i = 0; i < 40; i++) s += String.fromCodePoint(rng.chance(0.7) ? 32 + rng.int(95) : 0xa0 + rng.int(0xd000));
      assert.equal(tok.decode(tok.encode(s)), s);
    }
  });
});

test('BPE: special tokens are single ids, EOS/no BOS, chat template renders', () => {
  withTokenizer(trained, (tok) => {
    assert.equal(tok.eosToken, '<|endoftext|>');
    assert.equal(tok.eosId, 1021);
    assert.equal(tok.bosId, null);
    assert.equal(tok.tokenToId('<|im_start|>'), 1022);
    assert.equal(tok.tokenToId('<|im_end|>'), 1023);
    const ids = tok.encode('Hello<|endoftext|>there');
    assert.equal(ids.filter((i) => i === 1021).length, 1);
    assert.equal(tok.decode(ids), 'Hellothere');
    assert.equal(tok.decode(ids, { skipSpecialTokens: false }), 'Hello<|endoftext|>there');
    const messages = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi there' }];
    const text = tok.renderChat(messages);
    assert.equal(text, '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n');
    assert.equal(tok.renderChat(messages, { addGenerationPrompt: false }), text.slice(0, -'<|im_start|>assistant\n'.length));
    const chatIds = tok.encodeChat(messages);
    assert.equal(chatIds[0], 1022);
    assert.equal(chatIds.filter((i) => i === 1022).length, 3);
    assert.equal(chatIds.filter((i) => i === 1023).length, 2);
    assert.equal(tok.decode(chatIds, { skipSpecialTokens: false }), text);
  });
  const cfg = trained.tokenizerConfig;
  assert.equal(cfg.add_bos_token, false);
  assert.equal(cfg.bos_token, null);
  const tj = trained.tokenizerJson as { pre_tokenizer: Record<string, unknown>; decoder: Record<string, unknown>; model: Record<string, unknown> };
  assert.deepEqual([tj.pre_tokenizer.type, tj.pre_tokenizer.add_prefix_space, tj.pre_tokenizer.use_regex], ['ByteLevel', false, true]);
  assert.equal(tj.decoder.type, 'ByteLevel');
  assert.equal(tj.model.type, 'BPE');
});
