/**
 * Tool-name patterns, as `tools:` lists, approval rules and `--allow-tools` write them:
 * `files.read_text_file` (one tool), `files.*` (every tool of a server), `files.read_*`,
 * `*.get_*`, `*` (everything). `*` matches any run of characters within its part; the
 * server part ends at the first dot, since server names cannot hold one and tool names can.
 */

export interface QualifiedName {
  server: string;
  tool: string;
}

/** `files.read_text_file` → `{ server: 'files', tool: 'read_text_file' }`; undefined without a dot. */
export function splitQualifiedName(name: string): QualifiedName | undefined {
  const dot = name.indexOf('.');
  if (dot <= 0 || dot === name.length - 1) return undefined;
  return { server: name.slice(0, dot), tool: name.slice(dot + 1) };
}

export class ToolPattern {
  private readonly server: RegExp;
  private readonly tool: RegExp;

  private constructor(
    readonly source: string,
    server: string,
    tool: string,
  ) {
    this.server = globToRegExp(server);
    this.tool = globToRegExp(tool);
  }

  /** Parses a pattern; a bare `*` means every tool of every server, a bare `files` every tool of `files`. */
  static parse(source: string): ToolPattern {
    const text = source.trim();
    if (text === '') throw new PatternError('a tool pattern cannot be empty; write `server.tool`, `server.*` or `*`');
    if (/\s/.test(text)) throw new PatternError(`tool pattern \`${source}\` holds a space; separate patterns with commas`);
    if (text === '*') return new ToolPattern(source, '*', '*');
    const parts = splitQualifiedName(text);
    if (!parts) {
      if (text.includes('.')) throw new PatternError(`tool pattern \`${source}\` needs a server and a tool around the dot, as in \`files.read_text_file\` or \`files.*\``);
      return new ToolPattern(source, text, '*');
    }
    return new ToolPattern(source, parts.server, parts.tool);
  }

  matches(server: string, tool: string): boolean {
    return this.server.test(server) && this.tool.test(tool);
  }

  /** Whether some tool of `server` could match: which servers a prompt's `tools:` needs listed. */
  matchesServer(server: string): boolean {
    return this.server.test(server);
  }

  /** Whether it names one tool rather than a family (a grant the person can read at a glance). */
  get isExact(): boolean {
    return !this.source.includes('*');
  }
}

export class PatternError extends Error {
  readonly code = 'tool-pattern';
}

/** `files.*,git.status` (as `--allow-tools` takes it, repeatable) → patterns. */
export function parsePatternList(values: readonly string[]): ToolPattern[] {
  return values.flatMap((value) => value.split(',')).filter((part) => part.trim() !== '').map((part) => ToolPattern.parse(part));
}

export function matchesAny(patterns: readonly ToolPattern[], server: string, tool: string): boolean {
  return patterns.some((pattern) => pattern.matches(server, tool));
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((literal) => literal.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's');
}
