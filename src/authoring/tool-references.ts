/**
 * A workflow's tool references (`tool:` steps, `tools:` entries) matched against the
 * tools its servers list: the editor's warnings for a tool a server does not offer,
 * a required argument `with:` does not give, an argument the schema forbids, and a
 * server whose tools could not be listed. Pure: the catalog comes in as a view.
 *
 * Servers not named under `mcp:` are the analyzer's (`unknown-tool-server`), so they
 * are left alone here.
 */
import type { Problem, ProblemCode, SourceRange, Step, Workflow } from '../engine/types';
import { allSteps } from '../engine/graph';
import { closest } from '../engine/suggest';
import type { ToolInfo } from '../engine/tools/host';
import { PatternError, ToolPattern } from '../engine/tools/patterns';
import { acceptsArgument, requiredNames } from './tool-schema';

/** What the editor knows of one server's tools. */
export type ServerTools =
  | { state: 'pending' }
  /** Declared in unsaved text: servers are started only from what the file holds on disk. */
  | { state: 'unsaved' }
  | { state: 'listed'; tools: readonly ToolInfo[] }
  /** `reason` is worded for the author and holds no secret. */
  | { state: 'unreachable'; reason: string };

/** The catalog as one workflow sees it, by the server names under its `mcp:`; undefined: not looked up (restricted mode). */
export type ToolCatalogView = (server: string) => ServerTools | undefined;

export interface ToolReference {
  kind: 'tool' | 'tools';
  step: Step;
  /** As written: `files.read_text_file`, `files.*`, `files`. */
  written: string;
  server: string;
  /** The tool's name (`tool:`), or the tool part of a pattern (`read_*`; `*` for a bare server). */
  tool: string;
  range: SourceRange;
}

/** The codes found only here, against a server's list (the loader cannot report them). */
export const TOOL_PROBLEM_CODES: readonly ProblemCode[] = ['unknown-tool', 'missing-tool-argument', 'unknown-tool-argument', 'tool-server-unreachable'];

/** How many tool names a message lists before it says how many there are. */
const LISTED_NAMES = 8;

/** The servers `mcp:` names well (declared, or taken from the workspace), in file order; a broken entry is the analyzer's. */
export function workflowServers(workflow: Workflow): string[] {
  const mcp = workflow.mcp;
  if (!mcp) return [];
  const valid = new Set([...mcp.declarations.keys(), ...mcp.references]);
  const written = (workflow.mcpNames ?? []).map((n) => n.name).filter((name) => valid.has(name));
  return [...new Set([...written, ...valid])];
}

/** Every `tool:` value and `tools:` entry, in file order. */
export function toolReferences(workflow: Workflow): ToolReference[] {
  const out: ToolReference[] = [];
  for (const step of allSteps(workflow.steps)) {
    if (step.kind === 'tool' && step.tool.name !== '') {
      out.push({ kind: 'tool', step, written: `${step.tool.server}.${step.tool.name}`, server: step.tool.server, tool: step.tool.name, range: step.tool.range });
    } else if (step.kind === 'prompt' && step.tools) {
      for (const entry of step.tools.entries) {
        const parsed = parsePattern(entry.pattern);
        if (parsed) out.push({ kind: 'tools', step, written: entry.pattern, server: parsed.server, tool: parsed.tool, range: entry.range });
      }
    }
  }
  return out;
}

/** The reference written at `offset`, if any. */
export function toolReferenceAt(workflow: Workflow, offset: number): ToolReference | undefined {
  return toolReferences(workflow).find((r) => r.range.offset <= offset && offset <= r.range.endOffset);
}

/** A tool by its name on the server (own names only: `constructor` is a name, not a method). */
export function findTool(tools: readonly ToolInfo[], name: string): ToolInfo | undefined {
  return tools.find((t) => t.name === name);
}

/** The tools a `tools:` pattern's tool part selects on one server. */
export function matchingTools(tools: readonly ToolInfo[], reference: Pick<ToolReference, 'server' | 'tool'>): ToolInfo[] {
  const pattern = ToolPattern.parse(`${reference.server}.${reference.tool}`);
  return tools.filter((t) => pattern.matches(reference.server, t.name));
}

/** The editor's tool problems for `workflow`, given what the catalog knows now. */
export function checkToolReferences(workflow: Workflow, view: ToolCatalogView): Problem[] {
  const problems: Problem[] = [];
  const file = workflow.file;
  const named = new Set(workflowServers(workflow));
  for (const { name, range } of workflow.mcpNames ?? []) {
    if (!named.has(name)) continue;
    const tools = view(name);
    if (tools?.state !== 'unreachable') continue;
    problems.push({ file, range, code: 'tool-server-unreachable', severity: 'warning', message: `the tools of \`${name}\` were not checked: ${tools.reason}` });
  }
  for (const reference of toolReferences(workflow)) {
    if (!named.has(reference.server)) continue;
    const tools = view(reference.server);
    if (tools?.state !== 'listed') continue;
    if (reference.kind === 'tools') {
      problems.push(...checkPattern(file, reference, tools.tools));
      continue;
    }
    const tool = findTool(tools.tools, reference.tool);
    if (!tool) {
      problems.push(unknownTool(file, reference, tools.tools));
      continue;
    }
    if (reference.step.kind === 'tool') problems.push(...checkArguments(file, reference, tool, reference.step.withKeys));
  }
  return problems;
}

function checkPattern(file: string, reference: ToolReference, tools: readonly ToolInfo[]): Problem[] {
  const exact = !reference.tool.includes('*');
  if (exact) return findTool(tools, reference.tool) ? [] : [unknownTool(file, reference, tools)];
  if (matchingTools(tools, reference).length > 0) return [];
  return [
    {
      file,
      range: reference.range,
      code: 'unknown-tool',
      severity: 'warning',
      message: `\`${reference.written}\` matches no tool of \`${reference.server}\`${tools.length === 0 ? ', which lists none' : `; its tools: ${nameList(tools)}`}`,
      stepId: reference.step.id,
    },
  ];
}

function unknownTool(file: string, reference: ToolReference, tools: readonly ToolInfo[]): Problem {
  const near = closest(reference.tool, tools.map((t) => t.name));
  const hint = near !== undefined ? `; did you mean \`${near}\`?` : tools.length === 0 ? '; it lists no tools' : `; its tools: ${nameList(tools)}`;
  return {
    file,
    range: reference.range,
    code: 'unknown-tool',
    severity: 'warning',
    message: `server \`${reference.server}\` has no tool \`${reference.tool}\`${hint}`,
    stepId: reference.step.id,
    ...(near !== undefined ? { data: { replacement: `${reference.server}.${near}` } } : {}),
  };
}

function checkArguments(file: string, reference: ToolReference, tool: ToolInfo, withKeys: readonly { name: string; range: SourceRange }[] | undefined): Problem[] {
  // `with:` that is not a mapping is the schema's problem; its keys cannot be checked.
  if (withKeys === undefined) return [];
  const problems: Problem[] = [];
  const given = new Set(withKeys.map((k) => k.name));
  const missing = [...requiredNames(tool)].filter((name) => !given.has(name));
  if (missing.length > 0) {
    const names = missing.map((name) => `\`${name}\``).join(', ');
    problems.push({
      file,
      range: reference.range,
      code: 'missing-tool-argument',
      severity: 'warning',
      message: `\`${reference.written}\` needs ${missing.length === 1 ? 'the argument' : 'the arguments'} ${names}, which \`with:\` does not give`,
      stepId: reference.step.id,
      data: { missing },
    });
  }
  const known = Object.keys(ownProperties(tool));
  for (const key of withKeys) {
    if (acceptsArgument(tool, key.name)) continue;
    const near = closest(key.name, known);
    problems.push({
      file,
      range: key.range,
      code: 'unknown-tool-argument',
      severity: 'warning',
      message: `\`${reference.written}\` takes no argument \`${key.name}\`${near !== undefined ? `; did you mean \`${near}\`?` : known.length > 0 ? `; it takes ${known.map((k) => `\`${k}\``).join(', ')}` : '; it takes none'}`,
      stepId: reference.step.id,
      data: { argument: key.name, ...(near !== undefined ? { replacement: near } : {}) },
    });
  }
  return problems;
}

function ownProperties(tool: ToolInfo): Record<string, unknown> {
  const properties = Object.prototype.hasOwnProperty.call(tool.inputSchema, 'properties') ? tool.inputSchema.properties : undefined;
  return typeof properties === 'object' && properties !== null && !Array.isArray(properties) ? (properties as Record<string, unknown>) : {};
}

function nameList(tools: readonly ToolInfo[]): string {
  const names = tools.slice(0, LISTED_NAMES).map((t) => `\`${t.name}\``).join(', ');
  return tools.length > LISTED_NAMES ? `${names} … (${tools.length} in all)` : names;
}

/** `files.read_*` → server and tool part; a bare `files` is every tool of it. Patterns over servers (`*.x`) are not checked. */
function parsePattern(written: string): { server: string; tool: string } | undefined {
  try {
    ToolPattern.parse(written);
  } catch (error) {
    if (error instanceof PatternError) return undefined;
    throw error;
  }
  const text = written.trim();
  const dot = text.indexOf('.');
  const server = dot === -1 ? text : text.slice(0, dot);
  if (server.includes('*')) return undefined;
  return { server, tool: dot === -1 ? '*' : text.slice(dot + 1) };
}
