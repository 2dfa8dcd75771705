/**
 * Who may let a tool run. Tools change the world, so a call needs a yes from one of:
 * the workflow's policy (`allow`), the person running it (`--allow-tools PATTERN` on the
 * CLI; "allow once / for this run" in the editor), or — where the policy opts in — the
 * server's own claim that the tool only reads (`readOnlyHint`). Nothing runs in an
 * untrusted workspace, a `deny` is never overridden, and headless runs deny what nobody
 * allowed.
 */
import type { ToolInfo } from './host';
import { matchesAny, ToolPattern } from './patterns';

export type ApprovalDecision = 'allow' | 'ask' | 'deny';

export interface ApprovalRule {
  pattern: ToolPattern;
  decision: ApprovalDecision;
}

/** What the editor shows when it asks; arguments are untrusted text from a model or a workflow. */
export interface ConsentRequest {
  tool: ToolInfo;
  arguments: Record<string, unknown>;
}

/** `once`: this call only; `run`: every call of this tool until the run ends. */
export type ConsentAnswer = 'once' | 'run' | 'deny';

/** Asks the person; the editor implements it with a modal. Aborted when the run is cancelled. */
export type ConsentPort = (request: ConsentRequest, signal: AbortSignal) => Promise<ConsentAnswer>;

export interface ApprovalPolicyOptions {
  /** The workflow's rules, per server and per tool (see parseApprovalRules). */
  rules?: readonly ApprovalRule[];
  /** Servers whose `readOnlyHint` the workflow trusts: such tools run without asking. */
  trustReadOnlyHints?: ReadonlySet<string>;
  /** `--allow-tools` patterns: the person's consent given up front. */
  allowed?: readonly ToolPattern[];
  /** Without it (headless), a tool that needs consent is denied. */
  consent?: ConsentPort;
  /** False in an untrusted workspace: no tool runs at all. */
  trusted?: boolean;
}

export type ApprovalVerdict =
  | { allowed: true; by: 'policy' | 'allow-tools' | 'read-only' | 'consent-once' | 'consent-run' }
  | { allowed: false; by: 'policy' | 'untrusted' | 'no-consent' | 'refused'; message: string };

export class ApprovalPolicy {
  private readonly grantedForRun = new Set<string>();

  constructor(private readonly options: ApprovalPolicyOptions = {}) {}

  /** Decides one call; asks the person when the policy says `ask` and nothing else allows it. */
  async authorize(tool: ToolInfo, args: Record<string, unknown>, signal: AbortSignal = new AbortController().signal): Promise<ApprovalVerdict> {
    const name = tool.qualifiedName;
    if (this.options.trusted === false) {
      return { allowed: false, by: 'untrusted', message: `tool \`${name}\` was not called: tools never run in an untrusted workspace` };
    }
    const rule = this.ruleFor(tool.server, tool.name);
    if (rule?.decision === 'deny') return { allowed: false, by: 'policy', message: `tool \`${name}\` is denied by the workflow's approval rule \`${rule.pattern.source}: deny\`` };
    if (rule?.decision === 'allow') return { allowed: true, by: 'policy' };
    if (matchesAny(this.options.allowed ?? [], tool.server, tool.name)) return { allowed: true, by: 'allow-tools' };
    // An `ask` the author wrote for this very tool outranks the server's claim that it only reads.
    const askedExplicitly = rule?.decision === 'ask' && rule.pattern.isExact;
    if (!askedExplicitly && this.readOnlyTrusted(tool)) return { allowed: true, by: 'read-only' };
    if (this.grantedForRun.has(name)) return { allowed: true, by: 'consent-run' };
    const consent = this.options.consent;
    if (!consent) {
      return {
        allowed: false,
        by: 'no-consent',
        message: `tool \`${name}\` needs consent and nobody can give it here: pass \`--allow-tools ${name}\` (or \`--allow-tools ${tool.server}.*\`), or allow it in the workflow's approval rules`,
      };
    }
    const answer = await consent({ tool, arguments: args }, signal);
    if (answer === 'run') this.grantedForRun.add(name);
    if (answer === 'once' || answer === 'run') return { allowed: true, by: answer === 'once' ? 'consent-once' : 'consent-run' };
    return { allowed: false, by: 'refused', message: `tool \`${name}\` was not called: the call was refused` };
  }

  /** The most specific rule for a tool: an exact name over a pattern, and at equal rank the strictest. */
  ruleFor(server: string, tool: string): ApprovalRule | undefined {
    let best: ApprovalRule | undefined;
    let bestRank = -1;
    for (const rule of this.options.rules ?? []) {
      if (!rule.pattern.matches(server, tool)) continue;
      const rank = specificity(rule.pattern);
      if (rank > bestRank || (rank === bestRank && strictness(rule.decision) > strictness(best!.decision))) {
        best = rule;
        bestRank = rank;
      }
    }
    return best;
  }

  private readOnlyTrusted(tool: ToolInfo): boolean {
    const hints = tool.annotations;
    return this.options.trustReadOnlyHints?.has(tool.server) === true && hints?.readOnlyHint === true && hints.destructiveHint !== true;
  }
}

function specificity(pattern: ToolPattern): number {
  if (pattern.isExact) return Number.MAX_SAFE_INTEGER;
  return pattern.source.replace(/\*/g, '').length;
}

function strictness(decision: ApprovalDecision): number {
  return decision === 'deny' ? 2 : decision === 'ask' ? 1 : 0;
}

export interface ParsedApproval {
  rules: ApprovalRule[];
  trustReadOnlyHints: boolean;
  problems: string[];
}

/**
 * A server's `approval:` as a workflow writes it: one decision for every tool
 * (`approval: ask`), or `{ default: ask, read_only: allow, tools: { write_file: deny } }`.
 */
export function parseApproval(server: string, raw: unknown): ParsedApproval {
  const out: ParsedApproval = { rules: [], trustReadOnlyHints: false, problems: [] };
  if (raw === undefined) return out;
  const decision = (value: unknown, where: string): ApprovalDecision | undefined => {
    if (value === 'allow' || value === 'ask' || value === 'deny') return value;
    out.problems.push(`${where} must be \`allow\`, \`ask\` or \`deny\`, not \`${String(value)}\``);
    return undefined;
  };
  if (typeof raw === 'string') {
    const d = decision(raw, `\`mcp.${server}.approval\``);
    if (d) out.rules.push({ pattern: ToolPattern.parse(`${server}.*`), decision: d });
    return out;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    out.problems.push(`\`mcp.${server}.approval\` must be \`allow\`, \`ask\`, \`deny\` or a map with \`default\`, \`read_only\` and \`tools\``);
    return out;
  }
  const record = raw as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== 'default' && key !== 'read_only' && key !== 'tools') out.problems.push(`\`mcp.${server}.approval\` has no key \`${key}\`; it takes \`default\`, \`read_only\` and \`tools\``);
  }
  if (record.default !== undefined) {
    const d = decision(record.default, `\`mcp.${server}.approval.default\``);
    if (d) out.rules.push({ pattern: ToolPattern.parse(`${server}.*`), decision: d });
  }
  if (record.read_only !== undefined) {
    if (record.read_only === 'allow') out.trustReadOnlyHints = true;
    else if (record.read_only !== 'ask') out.problems.push(`\`mcp.${server}.approval.read_only\` must be \`allow\` (trust the server's readOnlyHint) or \`ask\``);
  }
  const tools = record.tools;
  if (tools !== undefined) {
    if (typeof tools !== 'object' || tools === null || Array.isArray(tools)) {
      out.problems.push(`\`mcp.${server}.approval.tools\` must map tool names (or patterns like \`read_*\`) to allow, ask or deny`);
    } else {
      for (const [tool, value] of Object.entries(tools)) {
        const d = decision(value, `\`mcp.${server}.approval.tools.${tool}\``);
        if (d && tool.trim() !== '' && !/\s/.test(tool)) out.rules.push({ pattern: ToolPattern.parse(`${server}.${tool}`), decision: d });
        else if (d) out.problems.push(`\`mcp.${server}.approval.tools\`: \`${tool}\` is not a tool name`);
      }
    }
  }
  return out;
}
