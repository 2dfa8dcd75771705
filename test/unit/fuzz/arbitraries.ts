/**
 * fast-check arbitraries for workflow files: CEL-ish expressions, `{{ }}` templates,
 * YAML scalars, steps of every kind (valid and not), whole workflows, and text
 * mutations of real files. Shared by the fuzz tests.
 */
import fc from 'fast-check';
import { stringify, type ToStringOptions } from 'yaml';

// ─── Names: a small pool so references often hit, plus names that are traps ──

/** Step ids: ordinary ones, near-misses, JS prototype names, `end`/`fail`, invalid ones. */
export const STEP_IDS = ['a', 'b', 'c', 'draft', 'review', 'outline', 'final', 'x_1', '_t', 'revew', 'constructor', '__proto__', 'toString', 'end', 'fail', '1bad', 'has space', ''];
export const INPUT_NAMES = ['topic', 'audience', 'rounds', 'flag', 'topik', '__proto__', 'constructor', 'valueOf'];
export const WORKER_NAMES = ['writer', 'critic', 'writter', 'constructor', 'toString', 'bad name'];
const STEP_FIELDS = ['output', 'status', 'attempts', 'outptu', 'constructor', '__proto__', 'prototype', 'toString', 'visits', 'error'];

const common = <T>(pool: readonly T[]) => fc.constantFrom(...pool);
const stepId = fc.oneof({ weight: 6, arbitrary: common(STEP_IDS.slice(0, 9)) }, { weight: 2, arbitrary: common(STEP_IDS) });
const inputName = fc.oneof({ weight: 4, arbitrary: common(INPUT_NAMES.slice(0, 4)) }, { weight: 1, arbitrary: common(INPUT_NAMES) });
const workerName = fc.oneof({ weight: 3, arbitrary: common(WORKER_NAMES.slice(0, 2)) }, { weight: 1, arbitrary: common(WORKER_NAMES) });

// ─── YAML scalars ────────────────────────────────────────────────────────────

/** Strings that YAML or the engine treat specially. */
const TRICKY_STRINGS = [
  'yes', 'no', 'on', '~', 'null', 'Null', 'true', 'False', '1e3', '0x1F', '0o17', '.inf', '-.inf', '.nan', '2024-01-01', '12:30:00',
  '30s', '2m', '500ms', '1.5h', '-1s', '1 h', 'soon', '', ' ', '-', '- x', ': x', 'a: b', '#c', '&a', '*a', '!!str', '%YAML 1.2', '---', '...',
  '{{', '}}', '{{ }}', '{{ x', 'x }}', "{{ '{{' }}", '{{ "}}" }}', '|', '>', '"', "'", '\\', '\t', '\n', '\r\n', '\u0000', '\u2028', 'é', '😀',
  '[a, b]', '{a: b}', '@x', '`x`', 'end', 'fail',
];

export const yamlScalar: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 3, arbitrary: common(TRICKY_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  { weight: 2, arbitrary: fc.integer({ min: -5, max: 20 }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
);

// ─── CEL-ish expressions ─────────────────────────────────────────────────────

const reference = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(stepId, common(STEP_FIELDS)).map(([id, field]) => `steps.${id}.${field}`) },
  { weight: 2, arbitrary: fc.tuple(stepId, fc.constantFrom('category', 'items', 'x', 'length')).map(([id, m]) => `steps.${id}.output.${m}`) },
  { weight: 1, arbitrary: stepId.map((id) => `steps.${id}`) },
  { weight: 1, arbitrary: stepId.map((id) => `steps["${id}"].output`) },
  { weight: 4, arbitrary: inputName.map((name) => `inputs.${name}`) },
  {
    weight: 3,
    arbitrary: common(['item', 'index', 'output', 'workflow.name', 'run.id', 'inputs', 'steps', 'foo', 'this', 'item.name', 'env.HOME', 'x']),
  },
);

const literal = common(['1', '0', '-3', '2.5', '1e3', '1u', 'true', 'false', 'null', '"text"', "'single'", '"APPROVED"', '""', 'b"bytes"', '"\\n"', '"{{"', "'}}'", '[]', '{}', '"é"']);

const FUNCTIONS = ['size', 'int', 'string', 'double', 'bool', 'type', 'dyn', 'has', 'duration', 'timestamp', 'max', 'nope'];
const METHODS = ['contains', 'startsWith', 'endsWith', 'matches', 'size', 'lowerAscii', 'split', 'join', 'nope'];
const MACROS = ['map', 'filter', 'all', 'exists', 'exists_one'];
const BINARY = ['+', '-', '*', '/', '%', '==', '!=', '<', '<=', '>', '>=', '&&', '||', 'in'];

export const celExpression: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: reference },
    { weight: 2, arbitrary: literal },
    { weight: 2, arbitrary: fc.tuple(tie('expr'), common(BINARY), tie('expr')).map(([l, op, r]) => `${l} ${op} ${r}`) },
    { weight: 1, arbitrary: fc.tuple(common(['!', '-', '!!']), tie('expr')).map(([op, e]) => `${op}${e}`) },
    { weight: 1, arbitrary: fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([c, a, b]) => `${c} ? ${a} : ${b}`) },
    { weight: 1, arbitrary: fc.tuple(common(FUNCTIONS), fc.array(tie('expr'), { maxLength: 2 })).map(([f, args]) => `${f}(${args.join(', ')})`) },
    { weight: 1, arbitrary: fc.tuple(tie('expr'), common(METHODS), fc.array(tie('expr'), { maxLength: 2 })).map(([t, m, args]) => `${t}.${m}(${args.join(', ')})`) },
    { weight: 1, arbitrary: fc.tuple(tie('expr'), common(MACROS), common(['v', 'item', 'steps', 'x']), tie('expr')).map(([t, m, v, body]) => `${t}.${m}(${v}, ${body})`) },
    { weight: 1, arbitrary: fc.array(tie('expr'), { maxLength: 3 }).map((items) => `[${items.join(', ')}]`) },
    { weight: 1, arbitrary: fc.array(fc.tuple(tie('expr'), tie('expr')), { maxLength: 2 }).map((es) => `{${es.map(([k, v]) => `${k}: ${v}`).join(', ')}}`) },
    { weight: 1, arbitrary: fc.tuple(tie('expr'), tie('expr')).map(([t, i]) => `${t}[${i}]`) },
    { weight: 1, arbitrary: fc.tuple(tie('expr'), common(['x', 'output', 'constructor', '__proto__'])).map(([t, m]) => `(${t}).${m}`) },
    { weight: 1, arbitrary: tie('expr').map((e) => `(${e})`) },
  ),
})).expr;

/** Characters CEL and templates care about, for strings that are almost expressions. */
const CEL_JUNK = ['(', ')', '[', ']', '{', '}', '.', ',', ':', '?', '!', '&', '|', '=', '<', '>', '+', '-', '*', '/', '%', '"', "'", '\\', '`', ' ', '\n', '\t', 'steps', 'inputs', 'item', 'a', '1', 'in', 'true', 'null', '.?', '?.', '{{', '}}', 'r"', 'b"', '"""', "'''", '\u0000', 'é', '😀', 'size', 'has'];

/** Random strings built from CEL's tokens and a few hazards; mostly not valid CEL. */
export const celJunk: fc.Arbitrary<string> = fc.oneof(
  fc.array(common(CEL_JUNK), { maxLength: 12 }).map((parts) => parts.join('')),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 10 }),
  fc.tuple(celExpression, fc.nat(), common(CEL_JUNK)).map(([expr, at, junk]) => {
    const i = at % (expr.length + 1);
    return expr.slice(0, i) + junk + expr.slice(i);
  }),
);

// ─── Templates ───────────────────────────────────────────────────────────────

const templatePart = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 10 }) },
  { weight: 4, arbitrary: celExpression.map((e) => `{{ ${e} }}`) },
  { weight: 1, arbitrary: celExpression.map((e) => `{{${e}}}`) },
  { weight: 1, arbitrary: celJunk.map((e) => `{{ ${e} }}`) },
  { weight: 1, arbitrary: common(['{{', '}}', '{{ }}', "{{ '{{' }}", '{', '}', '\n', '\n\n  ', '"', "'", '#', ': ', ' - ']) },
);

export const template: fc.Arbitrary<string> = fc.array(templatePart, { minLength: 1, maxLength: 5 }).map((parts) => parts.join(''));

/** What `set:`, `with:`, `outputs:` and `mock:` hold: templates nested in lists and mappings. */
export const templateValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    { weight: 4, arbitrary: template },
    { weight: 2, arbitrary: yamlScalar },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 3 }) },
    { weight: 1, arbitrary: entries(fc.oneof(common(['text', 'n', 'list', '__proto__', 'a b'])), tie('value'), 3) },
  ),
})).value;

/** A mapping with own keys only (`__proto__` included), as YAML would produce it. */
function entries<V>(key: fc.Arbitrary<string>, value: fc.Arbitrary<V>, maxLength: number): fc.Arbitrary<Record<string, V>> {
  return fc
    .uniqueArray(fc.tuple(key, value), { maxLength, selector: ([k]) => k })
    .map((pairs) => Object.fromEntries(pairs) as Record<string, V>);
}

// ─── Keys of a step, each valid or not ───────────────────────────────────────

const target = fc.oneof({ weight: 5, arbitrary: stepId }, { weight: 2, arbitrary: common(['end', 'fail']) }, { weight: 1, arbitrary: yamlScalar });
const duration = fc.oneof(common(['30s', '2m', '500ms', '1.5h', '10', 'soon', '', '-1s', '1 h', '0s']), fc.integer({ min: -2, max: 100 }), fc.double(), yamlScalar);
const smallInt = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: -1, max: 5 }) }, { weight: 1, arbitrary: yamlScalar });
const expression = fc.oneof({ weight: 6, arbitrary: celExpression }, { weight: 1, arbitrary: celExpression.map((e) => `{{ ${e} }}`) }, { weight: 1, arbitrary: celJunk }, { weight: 1, arbitrary: yamlScalar });

const modelSettings = fc.oneof(
  { weight: 4, arbitrary: fc.record(
    {
      provider: fc.oneof(common(['openai', 'mock', 'vscode-lm']), yamlScalar),
      name: fc.oneof(common(['gpt-4o', 'gpt-4o-mini']), yamlScalar),
      temperature: fc.oneof(fc.double({ min: -1, max: 3, noNaN: true }), common(['hot', '0.5'])),
      max_tokens: smallInt,
      top_p: fc.double({ noNaN: true }),
      seed: smallInt,
      stop: fc.oneof(fc.string(), fc.array(yamlScalar, { maxLength: 2 })),
      temprature: fc.double(),
    },
    { requiredKeys: [] },
  ) },
  { weight: 1, arbitrary: yamlScalar },
);

const jsonSchema: fc.Arbitrary<unknown> = fc.letrec<{ schema: unknown }>((tie) => ({
  schema: fc.oneof(
    { depthSize: 'small' },
    fc.record({ type: common(['string', 'number', 'integer', 'boolean', 'null', 'strin']), enum: fc.array(yamlScalar, { minLength: 1, maxLength: 3 }) }, { requiredKeys: ['type'] }),
    fc.record({ type: fc.constant('array'), items: tie('schema') }, { requiredKeys: ['type'] }),
    fc.record({ type: fc.constant('object'), properties: entries(common(['category', 'items', 'x']), tie('schema'), 3), required: fc.array(common(['category', 'x']), { maxLength: 2 }) }, { requiredKeys: ['type'] }),
    yamlScalar,
  ),
})).schema;

/** Keys every step may have, each optional and each sometimes wrong. */
const commonKeys = {
  name: yamlScalar,
  description: yamlScalar,
  if: expression,
  check: expression,
  for_each: expression,
  concurrency: smallInt,
  timeout: duration,
  retries: fc.oneof(smallInt, common(['three'])),
  retry_delay: duration,
  next: target,
  on_success: target,
  on_failure: target,
  end: fc.oneof(fc.boolean(), yamlScalar),
  max_visits: smallInt,
  cache: fc.oneof(fc.boolean(), yamlScalar),
  mock: templateValue,
  promt: template,
  nxt: target,
};

type StepObject = Record<string, unknown>;

const stepArbitraries = fc.letrec<{ step: StepObject; steps: StepObject[] }>((tie) => {
  const kindKeys = {
    prompt: fc.oneof({ weight: 5, arbitrary: template }, { weight: 1, arbitrary: yamlScalar }),
    system: template,
    worker: workerName,
    model: modelSettings,
    output: fc.oneof(fc.record({ schema: jsonSchema }), yamlScalar),
    parallel: fc.oneof({ weight: 4, arbitrary: tie('steps') }, { weight: 1, arbitrary: yamlScalar }),
    switch: expression,
    cases: fc.oneof(entries(fc.oneof(common(['billing', 'yes', '1', 'true', 'a b'])), target, 3), yamlScalar),
    default: fc.oneof(target, yamlScalar),
    input: template,
    choices: fc.oneof(fc.array(yamlScalar, { maxLength: 3 }), yamlScalar),
    set: templateValue,
    uses: fc.oneof(common(['lib/summarize.workflow.yaml', 'lib/missing.workflow.yaml', 'x.txt', '', '../up.yml']), yamlScalar),
    with: fc.oneof(entries(inputName, templateValue, 3), yamlScalar),
    fail: template,
  };
  const KINDS: (keyof typeof kindKeys)[][] = [['prompt'], ['prompt', 'system', 'worker', 'model', 'output'], ['parallel'], ['switch', 'cases', 'default'], ['input', 'default', 'choices'], ['set'], ['uses', 'with'], ['fail'], []];
  const step = fc
    .tuple(
      fc.oneof({ weight: 12, arbitrary: stepId }, { weight: 1, arbitrary: yamlScalar }, { weight: 1, arbitrary: fc.constant(undefined) }),
      fc.array(common(KINDS), { minLength: 1, maxLength: 2 }),
      fc.record(kindKeys, { requiredKeys: [] }),
      fc.record(commonKeys, { requiredKeys: [] }),
      fc.double({ min: 0, max: 1, noNaN: true }),
    )
    .map(([id, kinds, kindValues, commonValues, keep]) => {
      const out: StepObject = {};
      if (id !== undefined) out.id = id;
      for (const key of new Set(kinds.flat())) {
        if (kindValues[key] !== undefined) out[key] = kindValues[key];
        else if (key === 'prompt' || key === 'set' || key === 'input' || key === 'fail') out[key] = 'x';
      }
      // Keep a random share of the common keys so most steps stay small.
      const keys = Object.keys(commonValues) as (keyof typeof commonValues)[];
      keys.slice(0, Math.ceil(keys.length * keep * 0.4)).forEach((key) => (out[key] = commonValues[key]));
      return out;
    });
  return {
    step: fc.oneof({ weight: 10, arbitrary: step }, { weight: 1, arbitrary: yamlScalar as fc.Arbitrary<StepObject> }),
    steps: fc.array(tie('step'), { minLength: 0, maxLength: 3, depthIdentifier: 'steps' }) as fc.Arbitrary<StepObject[]>,
  };
});

export const stepObject = stepArbitraries.step;

const inputDef = fc.oneof(
  { weight: 4, arbitrary: fc.record(
    {
      description: yamlScalar,
      type: fc.oneof(common(['string', 'number', 'boolean', 'object', 'array', 'text']), yamlScalar),
      required: fc.oneof(fc.boolean(), yamlScalar),
      default: fc.oneof(yamlScalar, fc.array(yamlScalar, { maxLength: 2 })),
      choices: fc.oneof(fc.array(yamlScalar, { maxLength: 3 }), yamlScalar),
    },
    { requiredKeys: [] },
  ) },
  { weight: 1, arbitrary: yamlScalar },
);

const workerDef = fc.oneof(
  { weight: 4, arbitrary: fc.record({ system: template, model: modelSettings, description: yamlScalar, systen: yamlScalar }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: yamlScalar },
);

const workflowFields = {
  name: fc.oneof({ weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) }, { weight: 1, arbitrary: yamlScalar }),
  description: yamlScalar,
  inputs: fc.oneof({ weight: 4, arbitrary: entries(inputName, inputDef, 4) }, { weight: 1, arbitrary: yamlScalar }),
  model: modelSettings,
  workers: fc.oneof({ weight: 4, arbitrary: entries(workerName, workerDef, 3) }, { weight: 1, arbitrary: yamlScalar }),
  steps: fc.oneof({ weight: 12, arbitrary: fc.array(stepObject, { minLength: 1, maxLength: 7 }) }, { weight: 1, arbitrary: yamlScalar }),
  outputs: fc.oneof({ weight: 4, arbitrary: entries(common(['result', 'campaign', 'a b', '__proto__']), templateValue, 3) }, { weight: 1, arbitrary: yamlScalar }),
};

/** A whole workflow as a plain object, before it is written as YAML. Most have `name` and `steps`; some lack them or misspell a key. */
export const workflowObject: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  { weight: 8, arbitrary: fc.record(workflowFields, { requiredKeys: ['name', 'steps'] }) },
  { weight: 1, arbitrary: fc.record({ ...workflowFields, nmae: yamlScalar }, { requiredKeys: [] }) },
);

/** The ways `yaml` can write the same value: quoting, block scalars, flow collections, folding. */
export const stringifyOptions: fc.Arbitrary<ToStringOptions> = fc.record(
  {
    indent: fc.constantFrom(2, 4),
    lineWidth: fc.constantFrom(0, 20, 80),
    minContentWidth: fc.constantFrom(0, 20),
    defaultStringType: fc.constantFrom('PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL', 'BLOCK_FOLDED'),
    defaultKeyType: fc.constantFrom(null, 'PLAIN'),
    collectionStyle: fc.constantFrom('any', 'block', 'flow'),
    indentSeq: fc.boolean(),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<ToStringOptions>;

export function toYaml(value: unknown, options: ToStringOptions): string {
  return stringify(value, options);
}

// ─── Text mutations ──────────────────────────────────────────────────────────

/** What a person (or a bad merge) does to a YAML file. */
const INSERTS = ['{{', '}}', '{{ ', ' }}', ':', ': ', '-', '- ', '\t', '"', "'", '#', '&a ', '*a', '[', ']', '{', '}', ',', '|', '>', '\n', '  ', '? ', '!!', '%', '@', '`', '\\', 'é', '😀', '\r\n', '\u0000', '\ufeff', 'steps.', 'inputs.', '.output', 'id: ', 'next: ', 'end', '---\n', '...\n'];

export type Mutation =
  | { op: 'delete-line'; at: number }
  | { op: 'duplicate-line'; at: number }
  | { op: 'swap-lines'; at: number; other: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'delete-chars'; at: number; length: number }
  | { op: 'truncate'; at: number }
  | { op: 'indent'; at: number; delta: number }
  | { op: 'replace-word'; at: number; other: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('delete-line' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('duplicate-line' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('swap-lines' as const), at: fc.nat(), other: fc.nat() }),
  { weight: 3, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof({ weight: 4, arbitrary: common(INSERTS) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }) }) },
  fc.record({ op: fc.constant('delete-chars' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  fc.record({ op: fc.constant('indent' as const), at: fc.nat(), delta: fc.constantFrom(-4, -2, -1, 1, 2, 4) }),
  fc.record({ op: fc.constant('replace-word' as const), at: fc.nat(), other: fc.nat() }),
);

export function mutate(text: string, m: Mutation): string {
  const lines = text.split('\n');
  const line = (n: number) => n % Math.max(lines.length, 1);
  switch (m.op) {
    case 'delete-line':
      lines.splice(line(m.at), 1);
      return lines.join('\n');
    case 'duplicate-line':
      lines.splice(line(m.at), 0, lines[line(m.at)] ?? '');
      return lines.join('\n');
    case 'swap-lines': {
      const [i, j] = [line(m.at), line(m.other)];
      [lines[i], lines[j]] = [lines[j], lines[i]];
      return lines.join('\n');
    }
    case 'insert': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case 'delete-chars': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + text.slice(at + m.length);
    }
    case 'truncate':
      return text.slice(0, m.at % (text.length + 1));
    case 'indent': {
      const i = line(m.at);
      const current = lines[i] ?? '';
      lines[i] = m.delta > 0 ? ' '.repeat(m.delta) + current : current.replace(new RegExp(`^ {0,${-m.delta}}`), '');
      return lines.join('\n');
    }
    case 'replace-word': {
      const words = [...text.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)];
      if (words.length === 0) return text;
      const target = words[m.at % words.length];
      const replacement = words[m.other % words.length][0];
      return text.slice(0, target.index) + replacement + text.slice(target.index! + target[0].length);
    }
  }
}

// ─── Mostly valid workflows, for checking where things are located ───────────

const CLEAN_IDS = ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8'];
const CLEAN_INPUTS = ['topic', 'audience', 'rounds'];

/** A reference that is usually right: an input, an earlier or later step, now and then a typo. */
const cleanReference = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(common(CLEAN_IDS), common(['output', 'status', 'attempts', 'outptu'])).map(([id, f]) => `steps.${id}.${f}`) },
  { weight: 3, arbitrary: common([...CLEAN_INPUTS, 'topik']).map((name) => `inputs.${name}`) },
  { weight: 1, arbitrary: common(['workflow.name', 'run.id', 'item', 'index', 'nope']) },
);

const cleanExpression = fc.oneof(
  { weight: 4, arbitrary: cleanReference },
  { weight: 1, arbitrary: fc.tuple(cleanReference, cleanReference).map(([a, b]) => `${a} + ${b}`) },
  { weight: 1, arbitrary: cleanReference.map((r) => `size(${r}) > 0`) },
  { weight: 1, arbitrary: cleanReference.map((r) => `${r} == "x" ? "yes" : "no"`) },
);

/** Text that often repeats what the expressions say, so a range that lands on the text instead is caught. */
const cleanText = fc.oneof(
  { weight: 3, arbitrary: common(['Write about ', ' and ', '\n', 'Facts:\n', ' for ', '. ', 'Say "hi" ', "it's ", '# not a comment ', 'a: b ']) },
  { weight: 2, arbitrary: cleanReference },
);

export const cleanTemplate: fc.Arbitrary<string> = fc
  .array(fc.oneof(cleanText, cleanExpression.map((e) => `{{ ${e} }}`), cleanExpression.map((e) => `{{${e}}}`)), { minLength: 1, maxLength: 6 })
  .map((parts) => parts.join(''));

export const cleanWorkflow: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.shuffledSubarray(CLEAN_IDS, { minLength: 2, maxLength: 8 }),
    fc.array(
      fc.tuple(
        common(['prompt', 'set', 'switch', 'parallel', 'input', 'for_each']),
        cleanTemplate,
        cleanExpression,
        fc.option(cleanExpression, { nil: undefined }),
        fc.option(common([...CLEAN_IDS, 'end', 'fail', 'nowhere']), { nil: undefined }),
      ),
      { minLength: 8, maxLength: 8 },
    ),
  )
  .map(([ids, specs]) => {
    const steps: Record<string, unknown>[] = [];
    const taken = [...ids];
    while (taken.length > 0) {
      const id = taken.shift()!;
      const [kind, text, expr, condition, next] = specs[steps.length % specs.length];
      const step: Record<string, unknown> = { id };
      if (kind === 'prompt') step.prompt = text;
      else if (kind === 'set') step.set = { value: text, list: [text, 1] };
      else if (kind === 'switch') Object.assign(step, { switch: expr, cases: { x: next ?? 'end' }, default: 'end' });
      else if (kind === 'input') step.input = text;
      else if (kind === 'for_each') Object.assign(step, { for_each: expr, prompt: text });
      else if (kind === 'parallel' && taken.length > 0) step.parallel = [{ id: taken.shift()!, prompt: text }];
      else step.prompt = text;
      if (condition !== undefined) step.if = condition;
      if (next !== undefined && kind !== 'switch') step.next = next;
      steps.push(step);
    }
    return {
      name: 'Clean',
      inputs: { topic: { default: 'rockets' }, audience: { type: 'string' }, rounds: { type: 'number', default: 2 } },
      steps,
      outputs: { result: `{{ steps.${ids[ids.length - 1]}.output }}` },
    };
  });
