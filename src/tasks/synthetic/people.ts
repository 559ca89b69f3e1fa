// Fictional people for the offline synthetic knowledge benchmark (in the spirit of bioS, "Physics of
// Language Models 3.1"): invented full names built from syllables, six attributes drawn uniformly and
// independently from FIXED pools. Everything is deterministic for a seed.

/** Small seeded PRNG (mulberry32 over a 32-bit state, seed mixed by a string hash). */
export class Rng {
  private state: number;

  constructor(seed: number | string) {
    this.state = hashSeed(String(seed));
  }

  /** Uniform in [0, 1). */
  float(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick: empty list');
    return items[this.int(items.length)];
  }

  /** Fisher–Yates shuffle of a copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /** k distinct items (k clipped to the list length), in random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    return this.shuffle(items).slice(0, Math.max(0, Math.min(k, items.length)));
  }

  /** Index drawn with probability proportional to weights. */
  weighted(weights: readonly number[]): number {
    const total = weights.reduce((a, b) => a + b, 0);
    if (!(total > 0)) throw new Error('Rng.weighted: weights must have a positive sum');
    let r = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    // Rounding left r at 0: the last index that can be drawn.
    let last = weights.length - 1;
    while (last > 0 && !(weights[last] > 0)) last--;
    return last;
  }
}

/** FNV-1a over the string, then a murmur-style finaliser. */
export function hashSeed(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Attribute pools (fixed). No value is a substring of another value or of any name part, so a value
// occurs in a passage exactly as often as attributes carry it (checked by the tests).

export const MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
] as const;
export const FIRST_YEAR = 1950;
export const LAST_YEAR = 1999;
/** Days 1..28, so every month/day combination exists. */
export const MAX_DAY = 28;

export const CITIES = [
  'Tallinn', 'Porto', 'Kyoto', 'Oslo', 'Lyon', 'Austin', 'Denver', 'Seville', 'Bergen', 'Krakow',
  'Nagoya', 'Valencia', 'Dublin', 'Quebec', 'Leipzig', 'Turin', 'Geneva', 'Bilbao', 'Tampere', 'Gdansk',
  'Phoenix', 'Adelaide', 'Halifax', 'Cork', 'Utrecht', 'Salzburg', 'Riga', 'Vilnius', 'Malmo', 'Nantes',
  'Graz', 'Brno', 'Trieste', 'Aarhus', 'Lisbon', 'Memphis', 'Boise', 'Tucson', 'Omaha', 'Kobe',
] as const;

export const UNIVERSITIES = [
  'Harrowgate University', 'Eldermoor College', 'Stonebridge University', 'Wyncrest Institute',
  'Lakeshore University', 'Fairhaven College', 'Greywater University', 'Northfield Institute',
  'Redmere University', 'Copperhill College', 'Ravenscar University', 'Westvale Institute',
  'Brackenridge University', 'Silverlake College', 'Thistlewood University', 'Ambrose Polytechnic',
  'Kingsmere University', 'Larkspur College', 'Foxglove Institute', 'Merriweather University',
  'Oldcastle College', 'Pinecrest University', 'Saltmarsh Institute', 'Windermere University',
  'Highgarden College', 'Blackthorn University', 'Clearbrook Institute', 'Summerfield University',
  'Ironbridge College', 'Mistral Polytechnic',
] as const;

export const MAJORS = [
  'Marine Biology', 'Economics', 'Civil Engineering', 'Philosophy', 'Computer Science', 'Linguistics',
  'Chemistry', 'Architecture', 'Art History', 'Mathematics', 'Nursing', 'Astronomy', 'Journalism',
  'Geology', 'Music Theory', 'Statistics', 'Psychology', 'Mechanical Engineering', 'Anthropology',
  'Political Science', 'Accounting', 'Forestry', 'Classics', 'Graphic Design', 'Neuroscience',
  'Sociology', 'Agronomy', 'Physics', 'Urban Planning', 'Pharmacology',
] as const;

export const COMPANIES = [
  'Norvex Systems', 'Bluehaven Foods', 'Kestrel Dynamics', 'Ambergrove Bank', 'Solvane Energy',
  'Trellis Robotics', 'Meridian Freight', 'Corvid Analytics', 'Halcyon Pharma', 'Ironleaf Motors',
  'Brightwater Labs', 'Nimbus Airlines', 'Quillstone Media', 'Redcliff Mining', 'Silverpine Textiles',
  'Tidewell Shipping', 'Vantor Aerospace', 'Wrenfield Insurance', 'Zephyr Telecom', 'Oakhurst Publishing',
  'Glimmer Studios', 'Harbinger Security', 'Lumora Cosmetics', 'Marble Arch Hotels', 'Orchard Lane Bakeries',
  'Pebblecrest Toys', 'Rivermint Software', 'Sablewood Furniture', 'Torrent Logistics', 'Verdigris Chemicals',
  'Wildmoor Outfitters', 'Yellowfin Seafood', 'Cobalt Ridge Consulting', 'Driftwood Games', 'Evergale Wind',
] as const;

export const ATTRIBUTES = ['birthDate', 'birthCity', 'university', 'major', 'company', 'companyCity'] as const;
export type Attribute = (typeof ATTRIBUTES)[number];

/** Human-readable attribute names (for reports). */
export const ATTRIBUTE_LABELS: Record<Attribute, string> = {
  birthDate: 'birth date',
  birthCity: 'birth city',
  university: 'university',
  major: 'field of study',
  company: 'employer',
  companyCity: "employer's city",
};

export type Gender = 'female' | 'male';

export interface Person {
  firstName: string;
  lastName: string;
  fullName: string;
  gender: Gender;
  /** "March 14, 1987" */
  birthDate: string;
  birthCity: string;
  university: string;
  major: string;
  company: string;
  companyCity: string;
}

export function formatDate(month: number, day: number, year: number): string {
  return `${MONTHS[month]} ${day}, ${year}`;
}

/** The pool an attribute is drawn from (birth dates: every month/day/year combination, as text). */
let datePool: string[] | null = null;
export function attributePool(attr: Attribute): readonly string[] {
  switch (attr) {
    case 'birthDate': {
      if (datePool) return datePool;
      const out: string[] = (datePool = []);
      for (let y = FIRST_YEAR; y <= LAST_YEAR; y++) {
        for (let m = 0; m < 12; m++) for (let d = 1; d <= MAX_DAY; d++) out.push(formatDate(m, d, y));
      }
      return out;
    }
    case 'birthCity':
    case 'companyCity':
      return CITIES;
    case 'university':
      return UNIVERSITIES;
    case 'major':
      return MAJORS;
    case 'company':
      return COMPANIES;
  }
}

// ---------------------------------------------------------------------------------------------
// Names: fixed pools built from syllables with a fixed internal seed (independent of the benchmark seed).

const FIRST_ONSETS = [
  'Va', 'Ve', 'Lo', 'Ka', 'Mi', 'Ta', 'Se', 'Ro', 'Da', 'Fe', 'Ha', 'Jo', 'Ne', 'Pa', 'Ri',
  'Sa', 'Tho', 'Zo', 'Bri', 'Cal', 'Do', 'El', 'Fa', 'Gi', 'Is', 'Lu', 'Ma', 'Or', 'Qui', 'Vi',
];
const FIRST_MIDDLES = ['lo', 'ra', 'ne', 'di', 'va', 'ri', 'la', 'mo', 'se', 'te', ''];
const MALE_ENDINGS = ['rin', 'dor', 'mus', 'ric', 'van', 'tan', 'ron', 'bert', 'lan', 'dric'];
const FEMALE_ENDINGS = ['ra', 'na', 'lia', 'ssa', 'lyn', 'ette', 'ine', 'wen', 'la', 'dra'];
const LAST_ONSETS = [
  'Quad', 'Har', 'Bel', 'Cor', 'Dun', 'Fen', 'Grim', 'Hol', 'Kes', 'Lind', 'Mor', 'Nor', 'Pell', 'Rad', 'Stan',
  'Thorn', 'Vand', 'Wex', 'Yar', 'Zell', 'Brom', 'Cald', 'Drey', 'Elm', 'Frost', 'Gal', 'Hask', 'Ivel', 'Jor', 'Tav',
];
const LAST_LINKS = ['', 'a', 'e', 'o', 'i'];
const LAST_ENDINGS = [
  'deck', 'wick', 'ford', 'ton', 'by', 'ley', 'mont', 'stead', 'vane', 'holt',
  'more', 'ridge', 'worth', 'cott', 'dale', 'ster', 'well', 'brook', 'gard', 'rell',
];

/** Size of each first-name pool (per gender) and of the last-name pool. */
export const FIRST_NAMES_PER_GENDER = 300;
export const LAST_NAME_COUNT = 1000;

function buildNamePool(parts: string[][], count: number, label: string, clash: (name: string) => boolean, avoid: Set<string>): string[] {
  const all = new Set<string>();
  const rec = (i: number, acc: string): void => {
    if (i === parts.length) {
      // Tidy joins: no tripled letters, no doubled vowels at a join, 4..10 letters.
      if (/(.)\1\1/i.test(acc) || acc.length < 4 || acc.length > 10) return;
      if (/[aeiou]{3}/i.test(acc)) return;
      all.add(acc);
      return;
    }
    for (const p of parts[i]) rec(i + 1, acc + p);
  };
  rec(0, '');
  const names = new Rng(`seal-names-${label}`).shuffle([...all].sort()).filter((n) => !avoid.has(n) && !clash(n));
  if (names.length < count) throw new Error(`name pool ${label}: only ${names.length} names`);
  return names.slice(0, count).sort();
}

function buildPools(): { male: string[]; female: string[]; last: string[] } {
  // Name parts never overlap an attribute value (either way round), so values stay countable in text.
  const values = [...CITIES, ...UNIVERSITIES, ...MAJORS, ...COMPANIES, ...MONTHS];
  const clash = (n: string) => values.some((v) => v.includes(n) || n.includes(v));
  const male = buildNamePool([FIRST_ONSETS, FIRST_MIDDLES, MALE_ENDINGS], FIRST_NAMES_PER_GENDER, 'male', clash, new Set());
  const female = buildNamePool([FIRST_ONSETS, FIRST_MIDDLES, FEMALE_ENDINGS], FIRST_NAMES_PER_GENDER, 'female', clash, new Set(male));
  const last = buildNamePool([LAST_ONSETS, LAST_LINKS, LAST_ENDINGS], LAST_NAME_COUNT, 'last', clash, new Set([...male, ...female]));
  return { male, female, last };
}

let pools: ReturnType<typeof buildPools> | null = null;
/** The fixed name pools (first names by gender, last names). */
export function namePools(): { male: readonly string[]; female: readonly string[]; last: readonly string[] } {
  pools ??= buildPools();
  return pools;
}

export interface GeneratePeopleOptions {
  /** Full names that must not be used (e.g. people of another split). */
  exclude?: Iterable<string>;
}

/**
 * `n` people with distinct full names; attributes uniform and independent over the pools.
 * Deterministic for (n, seed, exclude).
 */
export function generatePeople(n: number, seed: number | string, options: GeneratePeopleOptions = {}): Person[] {
  const { male, female, last } = namePools();
  const capacity = (male.length + female.length) * last.length;
  const used = new Set<string>(options.exclude ?? []);
  if (n + used.size > capacity / 4) throw new Error(`generatePeople: ${n} people is too many for the name pools (${capacity} names)`);
  const rng = new Rng(`people-${seed}`);
  const dates = { months: MONTHS.length, years: LAST_YEAR - FIRST_YEAR + 1 };
  const people: Person[] = [];
  while (people.length < n) {
    const gender: Gender = rng.chance(0.5) ? 'female' : 'male';
    const firstName = rng.pick(gender === 'female' ? female : male);
    const lastName = rng.pick(last);
    const fullName = `${firstName} ${lastName}`;
    if (used.has(fullName)) continue;
    used.add(fullName);
    people.push({
      firstName,
      lastName,
      fullName,
      gender,
      birthDate: formatDate(rng.int(dates.months), 1 + rng.int(MAX_DAY), FIRST_YEAR + rng.int(dates.years)),
      birthCity: rng.pick(CITIES),
      university: rng.pick(UNIVERSITIES),
      major: rng.pick(MAJORS),
      company: rng.pick(COMPANIES),
      companyCity: rng.pick(CITIES),
    });
  }
  return people;
}

export function pronouns(gender: Gender): { subject: string; possessive: string; object: string } {
  return gender === 'female'
    ? { subject: 'she', possessive: 'her', object: 'her' }
    : { subject: 'he', possessive: 'his', object: 'him' };
}

export function capitalize(s: string): string {
  return s.length === 0 ? s : s[0].toUpperCase() + s.slice(1);
}
