/**
 * Completion of tools, as plain data like completion.ts: `server.tool` for a `tool:`
 * value; `server.*` and each `server.tool` for a `tools:` entry (in `[a, b]` or one per
 * `- ` line); inside a tool step's `with:`, the tool's argument keys from its
 * `inputSchema`, required ones first, each with a value to start from.
 */
import { findTool, workflowServers, type ToolCatalogView } from '../../authoring/tool-references';
import { argumentValueSnippet, toolArguments } from '../../authoring/tool-schema';
import type { Step, Workflow } from '../../engine';
import type { ToolInfo } from '../../engine/tools';
import type { Completion } from './completion';
import { staleOffset, type ParsedWorkflow } from './parsed';
import type { PathSegment } from './schema';
import { lineInfo, locate, parentPath, yamlContextAt } from './yaml-context';
import { argumentLine, toolMarkdown } from './tool-hover';

type Item = Omit<Completion, 'start' | 'end'>;

/** Tool completions at `offset`, or undefined when the cursor is at none of the places above (or nothing is known there). */
export function toolCompletionsAt(text: string, offset: number, model: ParsedWorkflow | undefined, view: ToolCatalogView): Completion[] | undefined {
  const workflow = model?.workflow;
  if (!workflow || workflowServers(workflow).length === 0) return undefined;
  const entry = toolsEntryAt(text, offset);
  if (entry) return withRange(entryItems(workflow, view), entry.start, offset);
  const context = yamlContextAt(text, offset);
  if (context.kind === 'value' && context.key === 'tool' && isStepPath(context.path)) {
    const items = toolItems(workflow, view, '');
    return items.length > 0 ? withRange(items, context.prefixStart, offset) : undefined;
  }
  if (context.kind === 'key' && context.path[context.path.length - 1] === 'with' && isStepPath(context.path.slice(0, -1))) {
    const step = stepNear(model, text, offset);
    if (step?.kind !== 'tool') return undefined;
    const known = view(step.tool.server);
    const tool = known?.state === 'listed' ? findTool(known.tools, step.tool.name) : undefined;
    if (!tool) return undefined;
    return withRange(argumentItems(tool, context.siblings, context.hasColon), context.prefixStart, offset);
  }
  return undefined;
}

/** The step at `offset`, or, on a blank line at a step's end (where a new key is typed), the step the text above belongs to. */
function stepNear(model: ParsedWorkflow, text: string, offset: number): Step | undefined {
  const at = model.stepAt(staleOffset(model.text, text, offset));
  if (at) return at;
  const above = text.slice(0, offset).trimEnd().length;
  return above > 0 ? model.stepAt(staleOffset(model.text, text, above - 1)) : undefined;
}

function withRange(items: Item[], start: number, end: number): Completion[] {
  return items.map((item) => ({ ...item, start, end }));
}

/** `server.tool` for every listed tool of every server under `mcp:`, in the order servers are named. */
function toolItems(workflow: Workflow, view: ToolCatalogView, rankPrefix: string): Item[] {
  const out: Item[] = [];
  workflowServers(workflow).forEach((server, serverIndex) => {
    const known = view(server);
    if (known?.state !== 'listed') return;
    for (const tool of known.tools) out.push(toolItem(tool, `${rankPrefix}${String(serverIndex).padStart(3, '0')}${tool.name}`));
  });
  return out;
}

function toolItem(tool: ToolInfo, sortText: string): Item {
  return { label: tool.qualifiedName, kind: 'tool', detail: tool.title ?? firstLine(tool.description), documentation: toolMarkdown(tool), sortText };
}

/** In a `tools:` list: `server.*` for each server (known without listing it), then its tools. */
function entryItems(workflow: Workflow, view: ToolCatalogView): Item[] {
  const servers = workflowServers(workflow).map((server, index): Item => {
    const known = view(server);
    const count = known?.state === 'listed' ? ` (${known.tools.length} ${known.tools.length === 1 ? 'tool' : 'tools'})` : '';
    return { label: `${server}.*`, kind: 'tool', detail: `every tool of ${server}${count}`, sortText: `0${String(index).padStart(3, '0')}` };
  });
  return [...servers, ...toolItems(workflow, view, '1')];
}

/** Argument keys not yet written: required first, each with a snippet for its type. */
function argumentItems(tool: ToolInfo, siblings: readonly string[], hasColon: boolean): Item[] {
  const present = new Set(siblings);
  return toolArguments(tool)
    .filter((argument) => !present.has(argument.name))
    .map((argument, index) => ({
      label: argument.name,
      kind: 'key',
      detail: `${argument.type}${argument.required ? ' · required' : ''}`,
      documentation: argumentLine(argument),
      insertText: hasColon ? snippetKey(argument.name) : `${snippetKey(argument.name)}: ${argumentValueSnippet(argument)}`,
      snippet: true,
      sortText: `${argument.required ? 0 : 1}${String(index).padStart(4, '0')}`,
    }));
}

/** A key as YAML needs it (quoted unless it is a plain word), escaped for a snippet. */
function snippetKey(name: string): string {
  const key = /^[A-Za-z_][\w-]*$/.test(name) ? name : JSON.stringify(name);
  return key.replace(/[$}\\]/g, '\\$&');
}

/** A step's mapping: `steps[i]`, or a branch `…parallel[i]`. */
function isStepPath(path: readonly PathSegment[]): boolean {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  return typeof last === 'number' && (parent === 'steps' || parent === 'parallel') && (path.length === 2 || isStepPath(path.slice(0, -2)));
}

/**
 * The start of the `tools:` entry being typed: in a flow list on the key's line
 * (`tools: [files.read_text_file, fi|`) or on a `- ` line under `tools:`.
 */
function toolsEntryAt(text: string, offset: number): { start: number } | undefined {
  const { lines, line, column, lineStart } = locate(text, offset);
  const full = lines[line] ?? '';
  const before = full.slice(0, column);
  const info = lineInfo(full);
  if (info.key === 'tools' && info.valueCol !== undefined && full[info.valueCol] === '[' && column > info.valueCol) {
    const inside = before.slice(info.valueCol + 1);
    if (/[\]#[{}]/.test(inside)) return undefined;
    const parent = parentPath(lines, line, info.keyCol, info.dashes);
    if (parent.kind !== 'path' || !isStepPath(parent.path)) return undefined;
    const entry = /[^,]*$/.exec(inside)![0];
    const lead = /^\s*["']?/.exec(entry)![0].length;
    return { start: lineStart + column - entry.length + lead };
  }
  if (info.key === undefined && info.dashes.length === 1 && column >= info.keyCol) {
    const typed = before.slice(info.keyCol);
    if (!/^["']?[^\s"'#,]*$/.test(typed)) return undefined;
    const parent = parentPath(lines, line, info.keyCol, info.dashes);
    if (parent.kind !== 'path' || parent.path[parent.path.length - 2] !== 'tools' || !isStepPath(parent.path.slice(0, -2))) return undefined;
    return { start: lineStart + info.keyCol + (/^["']/.test(typed) ? 1 : 0) };
  }
  return undefined;
}

function firstLine(text: string | undefined): string | undefined {
  const line = text?.split('\n')[0]?.trim();
  return line ? (line.length > 80 ? `${line.slice(0, 80)}…` : line) : undefined;
}
