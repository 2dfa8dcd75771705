/** A small, strict argument parser: repeated options, `--name=value` and `--name value`, and clear errors. */
import { closest } from '../engine/suggest';

export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
}

export class UsageError extends Error {}

export interface Parsed {
  positionals: string[];
  options: Record<string, string | boolean | string[] | undefined>;
}

export function parseArgs(argv: string[], spec: Record<string, OptionSpec>): Parsed {
  const positionals: string[] = [];
  const options: Parsed['options'] = Object.create(null) as Parsed['options'];
  // Own keys only: `--constructor` or `--__proto__` is an unknown option, not Object's.
  const specOf = (name: string): OptionSpec | undefined => (Object.hasOwn(spec, name) ? spec[name] : undefined);
  const byShort = new Map(Object.entries(spec).flatMap(([name, s]) => (s.short ? [[s.short, name] as const] : [])));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith('--');
    const eq = long ? arg.indexOf('=') : -1;
    const rawName = long ? arg.slice(2, eq === -1 ? undefined : eq) : byShort.get(arg.slice(1));
    const negated = rawName !== undefined && rawName.startsWith('no-') && specOf(rawName.slice(3))?.type === 'boolean';
    const name = rawName === undefined ? undefined : negated ? rawName.slice(3) : rawName;
    const option = name === undefined ? undefined : specOf(name);
    if (!option || name === undefined) throw new UsageError(`unknown option ${shown(arg)}${suggestion(arg, spec)}`);
    if (option.type === 'boolean') {
      if (eq !== -1) throw new UsageError(`--${rawName} takes no value (write --${rawName}${negated ? '' : ` or --no-${rawName}`})`);
      options[name] = !negated;
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      // `--input --json`: the next word is an option, so the value was left out.
      if (value !== undefined && value.startsWith('--') && value.length > 2) value = undefined;
      else i++;
    }
    if (value === undefined || value === '') throw new UsageError(`${arg.split('=')[0]} needs a value`);
    if (option.multiple) options[name] = [...((options[name] as string[] | undefined) ?? []), value];
    else if (options[name] !== undefined) throw new UsageError(`--${name} is given twice; give it once`);
    else options[name] = value;
  }
  return { positionals, options };
}

function suggestion(arg: string, spec: Record<string, OptionSpec>): string {
  const name = arg.replace(/^-+/, '').split('=')[0];
  const match = closest(name, Object.keys(spec));
  return match ? `; did you mean --${match}?` : '';
}

function shown(arg: string): string {
  return arg.length > 60 ? `${arg.slice(0, 59)}…` : arg;
}

/** Whether `--json` is among the arguments (before `--`), so even a usage error can answer in JSON. */
export function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** `NAME=VALUE` pairs from repeated `--input` options (prototype-free: any name is just a name). */
export function parseAssignments(values: string[] | undefined, flag: string): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const value of values ?? []) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} takes NAME=VALUE, not \`${shown(value)}\``);
    const name = value.slice(0, eq);
    if (Object.hasOwn(out, name)) throw new UsageError(`${flag} ${shown(name)} is given twice; give it once`);
    out[name] = value.slice(eq + 1);
  }
  return out;
}
