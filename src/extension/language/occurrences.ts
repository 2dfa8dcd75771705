/**
 * Every place a step id or an input name is written in a workflow file: step ids
 * (definitions), transitions (`next`, `on_success`, `on_failure`, `cases`, `default`)
 * and `steps.<id>` / `inputs.<name>` inside expressions and `{{ }}` templates. Go to
 * definition, find references, rename and hover all read this one list.
 *
 * Expressions are scanned as text, skipping string literals, rather than through the
 * CEL parser: it works on half-typed expressions too, and gives offsets in the file
 * directly, even inside quoted YAML scalars and block scalars.
 */
import type { SourceRange, Step, Template, TemplateValue, Workflow } from '../../engine';

export type OccurrenceRole = 'definition' | 'transition' | 'expression';

export interface Occurrence {
  target: 'step' | 'input';
  /** The step id or input name. */
  name: string;
  offset: number;
  endOffset: number;
  role: OccurrenceRole;
  /** The step the occurrence is written in, when it is inside one. */
  inStep?: Step;
  /** For `steps.<id>.<field>`: the field written after the id. */
  field?: string;
}

export function collectOccurrences(text: string, workflow: Workflow): Occurrence[] {
  const out: Occurrence[] = [];
  for (const input of workflow.inputs) {
    const range = unquoted(text, input.range);
    out.push({ target: 'input', name: input.name, ...range, role: 'definition' });
  }
  const visitStep = (step: Step) => {
    out.push({ target: 'step', name: step.id, ...unquoted(text, step.idRange), role: 'definition', inStep: step });
    const targets = [step.next, step.onSuccess, step.onFailure];
    if (step.kind === 'switch') targets.push(...step.cases.map((c) => c.target), step.default);
    for (const target of targets) {
      if (target && target.to !== 'end' && target.to !== 'fail') out.push({ target: 'step', name: target.to, ...unquoted(text, target.range), role: 'transition', inStep: step });
    }
    for (const expr of [step.if, step.check, step.forEach, step.kind === 'switch' ? step.switch : undefined]) {
      if (expr && expr.range.endOffset > expr.range.offset) scanExpression(text, unquoted(text, expr.range), out, step, text[expr.range.offset] === '"');
    }
    for (const template of stepTemplates(step)) scanTemplate(text, template.range, out, step);
    if (step.kind === 'parallel') step.branches.forEach(visitStep);
  };
  workflow.steps.forEach(visitStep);
  for (const worker of Object.values(workflow.workers)) if (worker.system) scanTemplate(text, worker.system.range, out, undefined);
  for (const value of Object.values(workflow.outputs)) for (const template of templatesOf(value)) scanTemplate(text, template.range, out, undefined);
  out.sort((a, b) => a.offset - b.offset);
  return out;
}

function stepTemplates(step: Step): Template[] {
  const templates: Template[] = [];
  if (step.fail) templates.push(step.fail);
  if (step.mock) templates.push(...templatesOf(step.mock));
  switch (step.kind) {
    case 'prompt':
      templates.push(step.prompt);
      if (step.system) templates.push(step.system);
      break;
    case 'input':
      templates.push(step.question);
      break;
    case 'set':
      templates.push(...templatesOf(step.value));
      break;
    case 'workflow':
      for (const value of Object.values(step.with)) templates.push(...templatesOf(value));
      break;
    default:
      break;
  }
  return templates.filter((t) => t.range.endOffset > t.range.offset);
}

function templatesOf(value: TemplateValue): Template[] {
  switch (value.kind) {
    case 'template':
      return [value.template];
    case 'list':
      return value.items.flatMap(templatesOf);
    case 'object':
      return Object.values(value.entries).flatMap(templatesOf);
    case 'literal':
      return [];
  }
}

/** A scalar's range without its quotes. */
export function unquoted(text: string, range: SourceRange): { offset: number; endOffset: number } {
  const first = text[range.offset];
  if ((first === '"' || first === "'") && range.endOffset - range.offset >= 2 && text[range.endOffset - 1] === first) {
    return { offset: range.offset + 1, endOffset: range.endOffset - 1 };
  }
  return { offset: range.offset, endOffset: range.endOffset };
}

/** Finds `{{ … }}` in a scalar as written and scans each expression. */
function scanTemplate(text: string, range: SourceRange, out: Occurrence[], inStep: Step | undefined): void {
  const doubleQuoted = text[range.offset] === '"';
  let at = range.offset;
  while (at < range.endOffset) {
    const open = text.indexOf('{{', at);
    if (open === -1 || open >= range.endOffset) return;
    const close = findClose(text, open + 2, range.endOffset, doubleQuoted);
    scanExpression(text, { offset: open + 2, endOffset: close === -1 ? range.endOffset : close }, out, inStep, doubleQuoted);
    if (close === -1) return;
    at = close + 2;
  }
}

/** In a double-quoted YAML scalar, `\"` is how a `"` of the expression is written. */
function quoteAt(text: string, i: number, doubleQuoted: boolean): { quote: string; length: number } | undefined {
  const ch = text[i];
  if (ch === "'" || (ch === '"' && !doubleQuoted)) return { quote: ch, length: 1 };
  if (doubleQuoted && ch === '\\' && text[i + 1] === '"') return { quote: '"', length: 2 };
  return undefined;
}

function findClose(text: string, from: number, end: number, doubleQuoted: boolean): number {
  for (let i = from; i < end; i++) {
    const quote = quoteAt(text, i, doubleQuoted);
    if (quote) {
      i = skipString(text, i, end, quote, doubleQuoted) - 1;
      continue;
    }
    if (text[i] === '}' && text[i + 1] === '}') return i;
  }
  return -1;
}

/** Returns the offset just after the string literal that starts at `i`. */
function skipString(text: string, i: number, end: number, quote: { quote: string; length: number }, doubleQuoted: boolean): number {
  let j = i + quote.length;
  while (j < end) {
    const closing = quoteAt(text, j, doubleQuoted);
    if (closing && closing.quote === quote.quote) return j + closing.length;
    j += text[j] === '\\' ? 2 : 1;
  }
  return end;
}

const IDENT_START = /[A-Za-z_]/;
const IDENT = /[A-Za-z0-9_]/;

/** Records `steps.<id>[.<field>]` and `inputs.<name>` in `text[range]`, skipping string literals. */
export function scanExpression(text: string, range: { offset: number; endOffset: number }, out: Occurrence[], inStep: Step | undefined, doubleQuoted = false): void {
  const end = range.endOffset;
  let i = range.offset;
  let previous = '';
  while (i < end) {
    const quote = quoteAt(text, i, doubleQuoted);
    if (quote) {
      i = skipString(text, i, end, quote, doubleQuoted);
      previous = '"';
      continue;
    }
    const ch = text[i];
    if (!IDENT_START.test(ch)) {
      if (!/\s/.test(ch)) previous = ch;
      i++;
      continue;
    }
    const word = readIdent(text, i, end);
    i = word.end;
    // `x.steps.a` is a field of x, not the root `steps`.
    if ((word.text === 'steps' || word.text === 'inputs') && previous !== '.') {
      const member = readMember(text, i, end);
      if (member) {
        const occurrence: Occurrence = { target: word.text === 'steps' ? 'step' : 'input', name: member.text, offset: member.start, endOffset: member.end, role: 'expression', inStep };
        i = member.end;
        if (word.text === 'steps') {
          const field = readMember(text, i, end);
          if (field) occurrence.field = field.text;
        }
        out.push(occurrence);
      }
    }
    previous = 'a';
  }
}

function readIdent(text: string, start: number, end: number): { text: string; start: number; end: number } {
  let j = start;
  while (j < end && IDENT.test(text[j])) j++;
  return { text: text.slice(start, j), start, end: j };
}

/** `.name` after optional spaces; undefined when there is none. */
function readMember(text: string, from: number, end: number): { text: string; start: number; end: number } | undefined {
  let j = from;
  while (j < end && (text[j] === ' ' || text[j] === '\t')) j++;
  if (text[j] !== '.') return undefined;
  j++;
  while (j < end && (text[j] === ' ' || text[j] === '\t')) j++;
  if (j >= end || !IDENT_START.test(text[j])) return undefined;
  return readIdent(text, j, end);
}

/** The occurrence whose range holds `offset` (ends inclusive, so a cursor just after a name counts). */
export function occurrenceAt(occurrences: readonly Occurrence[], offset: number): Occurrence | undefined {
  let low = 0;
  let high = occurrences.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const o = occurrences[mid];
    if (o.endOffset < offset) low = mid + 1;
    else if (o.offset > offset) high = mid - 1;
    else return o;
  }
  return undefined;
}
