/** A small, strict argument parser: repeated options, `--name=value` and `--name value`, and clear errors. */
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
  const options: Parsed['options'] = {};
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
    const eq = arg.indexOf('=');
    const rawName = arg.startsWith('--') ? arg.slice(2, eq === -1 ? undefined : eq) : byShort.get(arg.slice(1));
    const name = rawName === undefined ? undefined : rawName.startsWith('no-') && spec[rawName.slice(3)]?.type === 'boolean' ? rawName.slice(3) : rawName;
    const option = name !== undefined ? spec[name] : undefined;
    if (!option || name === undefined) throw new UsageError(`unknown option ${arg}`);
    if (option.type === 'boolean') {
      options[name] = !rawName!.startsWith('no-');
      continue;
    }
    const value = eq !== -1 && arg.startsWith('--') ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`${arg} needs a value`);
    if (option.multiple) options[name] = [...((options[name] as string[] | undefined) ?? []), value];
    else options[name] = value;
  }
  return { positionals, options };
}

/** `NAME=VALUE` pairs from repeated `--input` options. */
export function parseAssignments(values: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values ?? []) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} takes NAME=VALUE, not \`${value}\``);
    out[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return out;
}
