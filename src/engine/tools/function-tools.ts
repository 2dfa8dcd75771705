/**
 * MCP tools as OpenAI function tools, for a prompt's `tools:` loop. OpenAI function
 * names allow only `[A-Za-z0-9_-]{1,64}`, so `files.read_text_file` is sent as
 * `files__read_text_file` and mapped back when the model calls it; names that collide
 * after that get a numbered suffix.
 */
import type { ToolInfo } from './host';

/** The shape `openai`'s `ChatCompletionTool` has; declared here so the engine needs no OpenAI types. */
export interface FunctionToolDefinition {
  type: 'function';
  function: {
    name: string;
    description?: string;
    parameters: Record<string, unknown>;
  };
}

export interface FunctionToolSet {
  definitions: FunctionToolDefinition[];
  /** The tool a function name the model sent stands for; undefined for a name we never offered. */
  resolve(functionName: string): ToolInfo | undefined;
}

const MAX_NAME = 64;
/** Descriptions are for the model; very long ones cost tokens on every turn. */
const MAX_DESCRIPTION = 1024;

export function toFunctionTools(tools: readonly ToolInfo[]): FunctionToolSet {
  const byName = new Map<string, ToolInfo>();
  const definitions: FunctionToolDefinition[] = [];
  for (const tool of tools) {
    const name = uniqueName(functionName(tool), byName);
    byName.set(name, tool);
    const description = tool.description ?? tool.title;
    definitions.push({
      type: 'function',
      function: {
        name,
        ...(description ? { description: description.length > MAX_DESCRIPTION ? `${description.slice(0, MAX_DESCRIPTION - 1)}…` : description } : {}),
        parameters: toParameters(tool.inputSchema),
      },
    });
  }
  return { definitions, resolve: (functionName) => byName.get(functionName) };
}

function functionName(tool: ToolInfo): string {
  const clean = (text: string) => text.replace(/[^A-Za-z0-9_-]/g, '_');
  return `${clean(tool.server)}__${clean(tool.name)}`.slice(0, MAX_NAME);
}

function uniqueName(base: string, taken: Map<string, unknown>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `_${n}`;
    const name = base.slice(0, MAX_NAME - suffix.length) + suffix;
    if (!taken.has(name)) return name;
  }
}

/**
 * OpenAI wants an object schema with `properties`; MCP allows `{ type: object }` alone.
 * `$schema` and `$id` are dropped: some OpenAI-compatible servers reject them.
 */
function toParameters(inputSchema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _schema, $id: _id, ...rest } = inputSchema;
  const out: Record<string, unknown> = { ...rest, type: 'object' };
  if (typeof out.properties !== 'object' || out.properties === null) out.properties = {};
  return out;
}
