/**
 * The tool port (docs/tools.md): MCP server declarations and where they are found,
 * the ToolHost and its MCP implementation, tool-name patterns, the approval policy,
 * the `tool.*` events, function-tool definitions for models, and workflows as tools.
 */
export * from './declarations';
export * from './host';
export { McpToolHost, type McpToolHostOptions } from './mcp-host';
export { expandDeclaration, VariableError, type VariableContext } from './variables';
export { loadWorkspaceServers, addServers, CLI_SOURCES, EDITOR_SOURCES, type ServerRegistry, type ServerSource } from './workspace-servers';
export { ToolPattern, PatternError, parsePatternList, matchesAny, splitQualifiedName, type QualifiedName } from './patterns';
export { toFunctionTools, type FunctionToolDefinition, type FunctionToolSet } from './function-tools';
export * from './approval';
export * from './events';
export { invokeTool, type ToolInvocation, type InvokeOptions } from './invoke';
export { fileResultStore, recordedResults } from './result-store';
export { resultText } from './result-text';
export * from './workflow-tool';
export { parseWorkflowMcp, serverLookup, missingReferences, type WorkflowMcp, type WorkflowMcpProblem, type ServerLookup } from './workflow-servers';
export { createRunTools, type RunTools, type RunToolsOptions } from './run-tools';
