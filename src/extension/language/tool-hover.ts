/**
 * Hover on a tool: its title, description and a summary of its arguments, over a
 * `tool:` value, a `tools:` entry, or a `with:` key of a tool step. Descriptions are a
 * server's text: shown as plain text (markdown escaped), never as markup or links.
 */
import { findTool, matchingTools, toolReferenceAt, type ToolCatalogView } from '../../authoring/tool-references';
import { toolArguments, type ToolArgument } from '../../authoring/tool-schema';
import type { ToolInfo } from '../../engine/tools';
import type { HoverResult } from './hover';
import type { ParsedWorkflow } from './parsed';

const MAX_DESCRIPTION = 1500;
const MAX_ARGUMENTS = 20;
const MAX_MATCHES = 20;

export function toolHoverAt(model: ParsedWorkflow, offset: number, view: ToolCatalogView): HoverResult | undefined {
  const workflow = model.workflow;
  if (!workflow) return undefined;
  const argument = argumentHoverAt(model, offset, view);
  if (argument) return argument;
  const reference = toolReferenceAt(workflow, offset);
  if (!reference) return undefined;
  const span = { offset: reference.range.offset, endOffset: reference.range.endOffset };
  const known = view(reference.server);
  if (!known) return undefined;
  if (known.state === 'pending') return { markdown: `Listing the tools of \`${reference.server}\`…`, ...span };
  if (known.state === 'unsaved') return { markdown: `The tools of \`${reference.server}\` are listed once the file is saved.`, ...span };
  if (known.state === 'unreachable') return { markdown: `The tools of \`${reference.server}\` could not be listed: ${escapeMarkdown(known.reason)}`, ...span };
  if (reference.kind === 'tool' || !reference.tool.includes('*')) {
    const tool = findTool(known.tools, reference.tool);
    return tool ? { markdown: toolMarkdown(tool), ...span } : undefined;
  }
  const matches = matchingTools(known.tools, reference);
  const lines = matches.slice(0, MAX_MATCHES).map((t) => `- ${code(t.qualifiedName)}${t.title ?? t.description ? ` — ${escapeMarkdown(oneLine(t.title ?? t.description ?? ''))}` : ''}`);
  if (matches.length > MAX_MATCHES) lines.push(`- … ${matches.length - MAX_MATCHES} more`);
  return { markdown: `**${code(reference.written)}** · ${matches.length === 1 ? '1 tool' : `${matches.length} tools`}${lines.length > 0 ? `\n\n${lines.join('\n')}` : ''}`, ...span };
}

/** A `with:` key of a tool step: that argument's description. */
function argumentHoverAt(model: ParsedWorkflow, offset: number, view: ToolCatalogView): HoverResult | undefined {
  const step = model.stepAt(offset);
  if (step?.kind !== 'tool' || !step.withKeys) return undefined;
  const key = step.withKeys.find((k) => k.range.offset <= offset && offset <= k.range.endOffset);
  if (!key) return undefined;
  const known = view(step.tool.server);
  if (known?.state !== 'listed') return undefined;
  const tool = findTool(known.tools, step.tool.name);
  const argument = tool && toolArguments(tool).find((a) => a.name === key.name);
  if (!argument) return undefined;
  return { markdown: `**argument ${code(argument.name)}** of ${code(step.tool.server + '.' + step.tool.name)}\n\n${argumentLine(argument)}`, offset: key.range.offset, endOffset: key.range.endOffset };
}

/** Markdown for a tool: heading, what it does, its arguments. */
export function toolMarkdown(tool: ToolInfo): string {
  const hints = [tool.annotations?.readOnlyHint ? 'read-only' : undefined, tool.annotations?.destructiveHint ? 'destructive' : undefined].filter(Boolean);
  const heading = `**${code(tool.qualifiedName)}**${tool.title ? ` · ${escapeMarkdown(oneLine(tool.title))}` : ''}${hints.length > 0 ? ` · _${hints.join(', ')}_` : ''}`;
  const parts = [heading];
  if (tool.description) parts.push(escapeMarkdown(cut(tool.description, MAX_DESCRIPTION)));
  const args = toolArguments(tool);
  if (args.length > 0) {
    const lines = args.slice(0, MAX_ARGUMENTS).map((a) => `- ${argumentLine(a)}`);
    if (args.length > MAX_ARGUMENTS) lines.push(`- … ${args.length - MAX_ARGUMENTS} more`);
    parts.push(`Arguments:\n\n${lines.join('\n')}`);
  } else parts.push('No arguments.');
  return parts.join('\n\n');
}

/** `` `path` (string, required) — the file to read ``. */
export function argumentLine(argument: ToolArgument): string {
  const facts = [argument.type, argument.required ? 'required' : 'optional'];
  if (argument.default !== undefined) facts.push(`default ${JSON.stringify(argument.default)}`);
  const description = argument.description ? ` — ${escapeMarkdown(oneLine(cut(argument.description, 300)))}` : '';
  return `${code(argument.name)} (${escapeMarkdown(facts.join(', '))})${description}`;
}

/** Text shown as it is: markdown's special characters escaped, so a server's text cannot add links, images or HTML. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, '\\$&');
}

/** Inline code: a backtick inside would end it early. */
function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
