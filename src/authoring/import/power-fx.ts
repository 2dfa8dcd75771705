/**
 * Power Fx expressions (Agent Framework's `=…` values) → CEL, for the common subset:
 * variables, comparisons, `And`/`Or`/`Not`, `&` concatenation, `IsBlank`, `Len`,
 * literals. Anything else is reported and replaced by a placeholder.
 */
export type ResolveVariable = (name: string) => string | undefined;

const FUNCTIONS: Record<string, (args: string[]) => string | undefined> = {
  IsBlank: ([x]) => (x === undefined ? undefined : `(${x} == null || ${x} == "")`),
  Len: ([x]) => (x === undefined ? undefined : `size(${x})`),
  Not: ([x]) => (x === undefined ? undefined : `!(${x})`),
  Text: ([x]) => (x === undefined ? undefined : `string(${x})`),
  Value: ([x]) => (x === undefined ? undefined : `double(${x})`),
};

const OPERATORS: [RegExp, string][] = [
  [/^<>/, ' != '],
  [/^<=/, ' <= '],
  [/^>=/, ' >= '],
  [/^=/, ' == '],
  [/^&&/, ' && '],
  [/^\|\|/, ' || '],
  [/^&/, ' + '],
  [/^[<>+\-*/]/, ''],
  [/^[(),[\]]/, ''],
];

/** Converts `source` (without its leading `=`); returns the CEL text or an error for the report. */
export function powerFxToCel(source: string, resolve: ResolveVariable): { cel: string } | { error: string } {
  let i = 0;
  const out: string[] = [];
  const calls: { name: string; start: number }[] = [];
  while (i < source.length) {
    const rest = source.slice(i);
    const space = /^\s+/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    if (rest[0] === '"') {
      let j = 1;
      let value = '';
      while (j < rest.length) {
        if (rest[j] === '"' && rest[j + 1] === '"') {
          value += '"';
          j += 2;
        } else if (rest[j] === '"') break;
        else value += rest[j++];
      }
      if (j >= rest.length) return { error: 'an unclosed string' };
      out.push(JSON.stringify(value));
      i += j + 1;
      continue;
    }
    const number = /^\d+(\.\d+)?/.exec(rest);
    if (number) {
      out.push(number[0]);
      i += number[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(rest);
    if (word) {
      const name = word[0];
      i += name.length;
      const isCall = /^\s*\(/.test(source.slice(i));
      if (isCall) {
        if (!Object.hasOwn(FUNCTIONS, name)) return { error: `the function \`${name}\`` };
        calls.push({ name, start: out.length });
        continue;
      }
      if (name === 'true' || name === 'false') out.push(name);
      else if (name === 'And') out.push(' && ');
      else if (name === 'Or') out.push(' || ');
      else if (name === 'Blank') out.push('null');
      else {
        const resolved = resolve(name);
        if (resolved === undefined) return { error: `the variable \`${name}\`` };
        out.push(resolved);
      }
      continue;
    }
    const op = OPERATORS.find(([pattern]) => pattern.test(rest));
    if (!op) return { error: `\`${rest[0]}\`` };
    const token = op[0].exec(rest)![0];
    i += token.length;
    if (token === ')' && calls.length > 0 && depthAt(out, calls[calls.length - 1].start) === 1) {
      const call = calls.pop()!;
      const inner = out.splice(call.start).join('');
      const args = splitArgs(inner.slice(1));
      const converted = FUNCTIONS[call.name](args);
      if (converted === undefined) return { error: `\`${call.name}\` with these arguments` };
      out.push(converted);
      continue;
    }
    out.push(op[1] || token);
  }
  if (calls.length > 0) return { error: 'an unclosed call' };
  return { cel: out.join('').replace(/\s+/g, ' ').trim() };
}

/** How many parentheses are open in `out` from `start` on. */
function depthAt(out: string[], start: number): number {
  let depth = 0;
  for (const token of out.slice(start)) {
    if (token === '(') depth++;
    if (token === ')') depth--;
  }
  return depth;
}

function splitArgs(text: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      args.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) args.push(current.trim());
  return args;
}
