/** Importers: the source format is recognised from the file's name and contents. */
import { parse } from 'yaml';
import { importAgentFramework } from './agent-framework';
import { importGitHubModels } from './github-models';
import { record } from './model-params';
import { importPromptFlow, type ReadSibling } from './promptflow';
import { importPrompty } from './prompty';
import type { ImportResult, SourceFormat } from './report';

export { FORMAT_NAMES, type ImportResult, type SourceFormat } from './report';

export class ImportError extends Error {}

export function detectFormat(fileName: string, source: string): SourceFormat | undefined {
  const base = fileName.split(/[\\/]/).pop()!.toLowerCase();
  if (base.endsWith('.prompty')) return 'prompty';
  if (/\.prompt\.ya?ml$/.test(base)) return 'github-models';
  if (/^flow\.dag\.ya?ml$/.test(base)) return 'promptflow';
  let doc: Record<string, unknown> | undefined;
  try {
    doc = record(parse(source));
  } catch {
    return undefined;
  }
  if (!doc) return undefined;
  if (doc.kind === 'Workflow' || Array.isArray(record(doc.trigger)?.actions)) return 'agent-framework';
  if (Array.isArray(doc.nodes)) return 'promptflow';
  if (Array.isArray(doc.messages)) return 'github-models';
  return undefined;
}

export function importWorkflow(fileName: string, source: string, readSibling: ReadSibling): ImportResult {
  const format = detectFormat(fileName, source);
  const name = fileName.split(/[\\/]/).pop()!;
  try {
    switch (format) {
      case 'prompty':
        return importPrompty(source, name);
      case 'github-models':
        return importGitHubModels(source, name);
      case 'promptflow':
        return importPromptFlow(source, fileName.split(/[\\/]/).slice(-2).join('/'), readSibling);
      case 'agent-framework':
        return importAgentFramework(source, name);
      default:
        parse(source); // A YAML syntax error says more than "not a format".
        throw new ImportError(`${fileName}: not a format orchestrate imports — expected a Prompt flow flow.dag.yaml (with \`nodes:\`), a .prompty file, a GitHub Models .prompt.yml (with \`messages:\`) or an Agent Framework workflow (\`kind: Workflow\`)`);
    }
  } catch (error) {
    if (error instanceof ImportError) throw error;
    // YAML syntax errors and the like: said once, with the file, never as a stack trace.
    throw new ImportError(`${fileName}: ${error instanceof Error ? error.message.split('\n')[0].replace(/:$/, '') : String(error)}`);
  }
}
