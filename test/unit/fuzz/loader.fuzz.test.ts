/**
 * Property-based fuzzing of the loader and analyzer: thousands of generated and
 * mutated workflow files go through `checkWorkflow`, which must never throw and
 * must describe every problem with a range inside the text, line/column that agree
 * with the offsets, a known code and a message.
 *
 * Seeded, so a failure reproduces; fast-check prints the seed and path of the
 * smallest failing case. For a longer hunt: FUZZ_RUNS=20 (a multiplier) and FUZZ_SEED=<n>.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { parse, parseDocument, stringify } from 'yaml';
import { allSteps, checkWorkflow, evaluate, type Expr, type Template, type TemplateValue, type Workflow } from '../../../src/engine/index';
import { ExpressionError } from '../../../src/engine/expressions';
import { celExpression, celJunk, cleanWorkflow, mutate, mutation, stringifyOptions, toYaml, workflowObject } from './arbitraries';
import { assertWellFormed } from './invariants';
import { existing } from '../loader/files';

const SEED = Number(process.env.FUZZ_SEED ?? 0x0c4e57a7);
const SCALE = Math.max(1, Number(process.env.FUZZ_RUNS ?? 1));
const runs = (n: number) => Math.round(n * SCALE);
const FILE = 'fuzz.workflow.yaml';
const EXAMPLES_DIR = join(__dirname, '../../../examples');

/** `uses:` paths with "missing" in them do not exist, so `workflow-not-found` is exercised too. */
const files = existing((path) => !path.includes('missing'));

/** An expression located character by character: each one is where the file writes it (or its escape). */
function assertLinedUp(text: string, expr: Expr): void {
  const offsets = expr.offsets!;
  assert.equal(offsets.length, expr.source.length + 1);
  assert.equal(expr.range.offset, offsets[0]);
  for (let i = 0; i < expr.source.length; i++) {
    if (/\s/.test(expr.source[i])) continue;
    const written = text[offsets[i]];
    assert.ok(written === expr.source[i] || written === '\\' || written === "'" || expr.source.codePointAt(i - 1)! > 0xffff, `\`${expr.source}\`: ${JSON.stringify(expr.source[i])} is written at ${offsets[i]}`);
  }
}

function check(text: string) {
  const result = checkWorkflow(text, FILE, { files });
  assertWellFormed(text, FILE, result);
  return result;
}

function exampleTexts(): string[] {
  const files = readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.workflow.yaml'))
    .map((f) => join(EXAMPLES_DIR, f));
  files.push(join(EXAMPLES_DIR, 'lib/summarize.workflow.yaml'));
  return files.map((f) => readFileSync(f, 'utf8'));
}

const EXPRESSION_CODES = new Set([
  'expression-syntax',
  'expression-type',
  'unknown-variable',
  'unknown-step-ref',
  'unknown-input-ref',
  'unknown-step-field',
  'future-step-ref',
  'template-syntax',
]);

/** A clean workflow with one hole for an expression: step `b` can read `a`, `item`/`index` and (in check) `output`. */
function withExpression(place: 'prompt' | 'if' | 'check' | 'for_each' | 'switch' | 'set', expression: string): string {
  const b: Record<string, unknown> = { id: 'b', for_each: 'steps.a.output.items' };
  if (place === 'prompt') b.prompt = `Say {{ ${expression} }} now`;
  else if (place === 'set') b.set = { value: `{{ ${expression} }}` };
  else if (place === 'switch') Object.assign(b, { switch: expression, cases: { x: 'end' }, for_each: undefined });
  else if (place === 'for_each') Object.assign(b, { prompt: 'x', for_each: expression });
  else Object.assign(b, { prompt: 'x', [place]: expression });
  if (b.for_each === undefined) delete b.for_each;
  return stringify({
    name: 'Expressions',
    inputs: { topic: { default: 'rockets' }, rounds: { type: 'number', default: 2 } },
    steps: [{ id: 'a', prompt: 'List {{ inputs.topic }}', output: { schema: { type: 'object', properties: { items: { type: 'array' } } } } }, b],
  });
}

function readsBackAs(text: string, value: unknown): boolean {
  try {
    return isDeepStrictEqual(parse(text), value);
  } catch {
    return false;
  }
}

/** Every template in the model, and every expression key (`if`, `check`, `for_each`, `switch`). */
function templatesAndExprs(workflow: Workflow): { templates: Template[]; exprs: Expr[] } {
  const templates: Template[] = [];
  const exprs: Expr[] = [];
  const addValue = (value: TemplateValue | undefined): void => {
    if (!value) return;
    if (value.kind === 'template') templates.push(value.template);
    else if (value.kind === 'list') value.items.forEach(addValue);
    else if (value.kind === 'object') Object.values(value.entries).forEach(addValue);
  };
  const add = (t: Template | undefined) => t && templates.push(t);
  for (const step of allSteps(workflow.steps)) {
    for (const e of [step.if, step.check, step.forEach]) if (e) exprs.push(e);
    add(step.fail);
    addValue(step.mock);
    if (step.kind === 'prompt') [step.prompt, step.system].forEach(add);
    if (step.kind === 'input') add(step.question);
    if (step.kind === 'set') addValue(step.value);
    if (step.kind === 'switch') exprs.push(step.switch);
    if (step.kind === 'workflow') Object.values(step.with).forEach(addValue);
  }
  Object.values(workflow.outputs).forEach(addValue);
  Object.values(workflow.workers).forEach((w) => add(w.system));
  return { templates, exprs };
}

describe('loader fuzz', () => {
  test('structurally generated workflows: no throw, well-formed problems, no YAML errors', (t) => {
    let cases = 0;
    let withProblems = 0;
    let stringifyBugs = 0;
    const codes = new Map<string, number>();
    fc.assert(
      fc.property(workflowObject, stringifyOptions, (workflow, options) => {
        cases++;
        const text = toYaml(workflow, options);
        const result = check(text);
        if (result.problems.length > 0) withProblems++;
        for (const p of result.problems) codes.set(p.code, (codes.get(p.code) ?? 0) + 1);
        // The yaml package wrote this text, so the loader reports YAML errors exactly when the
        // package cannot read back what it wrote (yaml 2.9 writes `key:\n[]` for an empty flow
        // collection under `collectionStyle: 'block'`, which it then rejects).
        const yamlErrors = result.problems.filter((p) => p.code === 'yaml-syntax').length;
        const unreadable = parseDocument(text, { uniqueKeys: true }).errors.length > 0;
        if (unreadable) stringifyBugs++;
        assert.equal(yamlErrors > 0, unreadable, 'yaml-syntax problems only when the text really is not YAML');
      }),
      { seed: SEED, includeErrorInReport: true, numRuns: runs(2500) },
    );
    t.diagnostic(`${cases} generated workflows, ${withProblems} with problems (${stringifyBugs} unreadable yaml.stringify output); codes seen: ${[...codes].map(([c, n]) => `${c}=${n}`).join(' ')}`);
    // The generator is meant to reach every analysis; if it stops doing so, it has rotted.
    for (const code of ['schema', 'duplicate-id', 'missing-kind', 'multiple-kinds', 'unknown-step-ref', 'unknown-input-ref', 'unknown-worker', 'unknown-target', 'unknown-variable', 'unknown-step-field', 'future-step-ref', 'unreachable-step', 'expression-syntax', 'expression-type', 'template-syntax', 'invalid-duration', 'nested-transition', 'workflow-not-found']) {
      assert.ok(codes.has(code), `the generator reached \`${code}\``);
    }
  });

  test('generated clean workflows: every expression is located on its own text', (t) => {
    let cases = 0;
    let exact = 0;
    let fallback = 0;
    let unfaithful = 0;
    fc.assert(
      fc.property(cleanWorkflow, stringifyOptions, (workflow, options) => {
        cases++;
        const text = toYaml(workflow, options);
        const result = check(text);
        // yaml 2.9 sometimes writes text that does not read back as what it was given (folding a
        // double-quoted string inside a flow collection can write `undefined` into it); skip those.
        if (!readsBackAs(text, workflow)) {
          unfaithful++;
          return;
        }
        assert.ok(result.workflow, 'a mapping always gives a model');
        const { templates, exprs } = templatesAndExprs(result.workflow);
        const at = (e: Expr) => text.slice(e.range.offset, e.range.endOffset);
        for (const template of templates) {
          let previousEnd = template.range.offset;
          for (const part of template.parts) {
            if (!('expr' in part)) continue;
            const { expr } = part;
            if (at(expr) !== expr.source) {
              // Not written verbatim (folded, escaped): located character by character, or on the whole template.
              if (expr.offsets) assertLinedUp(text, expr);
              else assert.deepEqual(expr.range, template.range, `\`${expr.source}\` is located exactly, character by character, or on its template`);
              fallback++;
              continue;
            }
            exact++;
            assert.ok(expr.range.offset >= previousEnd, `\`${expr.source}\` is located after the expression before it`);
            // (Only `{` is required: a folded double-quoted scalar can split `{{` with an escaped line break.)
            assert.ok(text.slice(previousEnd, expr.range.offset).includes('{'), `\`${expr.source}\` is located after its own \`{{\`, not on text that reads the same`);
            previousEnd = expr.range.endOffset;
          }
        }
        for (const expr of exprs) {
          if (at(expr) === expr.source) exact++;
          else fallback++;
        }
        // A problem about a name points at that name (even across lines), or (when it cannot be lined up) at its whole template.
        const wholes = new Set([...templates, ...exprs].map((x) => `${x.range.offset}:${x.range.endOffset}`));
        for (const p of result.problems) {
          if (!['unknown-step-ref', 'unknown-input-ref', 'unknown-step-field', 'unknown-variable'].includes(p.code)) continue;
          const name = /`([^`]+)`/.exec(p.message)![1];
          const slice = text.slice(p.range.offset, p.range.endOffset);
          if (slice === name) continue;
          // A double-quoted scalar folded with an escaped line break can split the name itself.
          if (slice.replace(/\\\r?\n[ \t]*/g, '') === name) continue;
          assert.ok(wholes.has(`${p.range.offset}:${p.range.endOffset}`), `${p.code} points at \`${name}\`, or at the whole template (got \`${slice}\`)`);
        }
      }),
      { seed: SEED, includeErrorInReport: true, numRuns: runs(1500) },
    );
    t.diagnostic(`${cases} clean workflows (${unfaithful} skipped: yaml.stringify wrote something else); ${exact} expressions located exactly, ${fallback} not written verbatim (located character by character, or on their whole template or key)`);
    assert.ok(exact > fallback * 3, 'most expressions are located exactly');
  });

  test('mutated examples: no throw, well-formed problems', (t) => {
    const texts = exampleTexts();
    let cases = 0;
    const codes = new Map<string, number>();
    fc.assert(
      fc.property(fc.nat({ max: texts.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 6 }), (which, mutations) => {
        cases++;
        const text = mutations.reduce(mutate, texts[which]);
        for (const p of check(text).problems) codes.set(p.code, (codes.get(p.code) ?? 0) + 1);
      }),
      { seed: SEED, includeErrorInReport: true, numRuns: runs(3000) },
    );
    t.diagnostic(`${cases} mutated files; codes seen: ${[...codes].map(([c, n]) => `${c}=${n}`).join(' ')}`);
    assert.ok(codes.has('yaml-syntax') && codes.has('schema'), 'mutations reach both YAML and schema errors');
  });

  test('random strings in {{ }} and expression keys give expression problems, never a throw', (t) => {
    let cases = 0;
    const places = ['prompt', 'if', 'check', 'for_each', 'switch', 'set'] as const;
    fc.assert(
      fc.property(fc.oneof(celJunk, celExpression), fc.constantFrom(...places), (expression, place) => {
        cases++;
        const text = withExpression(place, expression);
        const result = check(text);
        for (const p of result.problems) {
          assert.ok(EXPRESSION_CODES.has(p.code), `\`${expression}\` in ${place} gave only expression problems, not ${p.code}: ${p.message}`);
        }
      }),
      { seed: SEED, includeErrorInReport: true, numRuns: runs(3000) },
    );
    t.diagnostic(`${cases} expressions checked in place`);
  });

  test('the clean host workflow for expression fuzzing has no problems', () => {
    assert.deepEqual(check(withExpression('prompt', 'item')).problems, []);
    assert.deepEqual(check(withExpression('check', 'output.size() > 0')).problems, []);
  });

  test('evaluating random expressions throws only ExpressionError', (t) => {
    let cases = 0;
    let evaluated = 0;
    const range = { start: { line: 1, column: 1 }, end: { line: 1, column: 1 }, offset: 0, endOffset: 0 };
    const scope = {
      inputs: { topic: 'rockets', rounds: 2, flag: true, audience: ['a', 'b'] },
      steps: {
        a: { output: { items: [1, 'two', null], category: 'billing' }, status: 'succeeded', attempts: 1 },
        b: { output: 'APPROVED', status: 'failed', attempts: 3 },
      },
      item: { name: 'x' },
      index: 1,
      output: 'text',
      workflow: { name: 'Fuzz' },
      run: { id: 'run-1' },
    };
    fc.assert(
      fc.property(fc.oneof(celExpression, celJunk), (source) => {
        cases++;
        const expr: Expr = { source, range };
        try {
          evaluate(expr, scope);
          evaluated++;
        } catch (error) {
          assert.ok(error instanceof ExpressionError, `\`${source}\` threw ${String(error)}`);
        }
      }),
      { seed: SEED, includeErrorInReport: true, numRuns: runs(3000) },
    );
    t.diagnostic(`${cases} expressions evaluated, ${evaluated} gave a value`);
  });
});
