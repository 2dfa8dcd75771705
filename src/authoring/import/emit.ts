/** Writes an imported workflow as YAML with the import report as its header comment. */
import { stringify } from 'yaml';
import { FORMAT_NAMES, type ImportReport, type SourceFormat, type WorkflowData } from './report';

export function emitWorkflow(data: WorkflowData, format: SourceFormat, sourceName: string, report: ImportReport): string {
  const header = [`Imported from ${sourceName} (${FORMAT_NAMES[format]}) by \`orchestrate import\`.`, ...report.lines()].map((line) => `# ${line}`.trimEnd()).join('\n');
  const clean = Object.fromEntries(Object.entries(data).filter(([, value]) => value !== undefined && !(typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0)));
  return `${header}\n\n${stringify(clean, { lineWidth: 0 })}`;
}

/** A step id from any name: letters, digits and `_`, not starting with a digit, unique. */
export function stepIdFrom(name: string, taken: Set<string>): string {
  let id = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(id)) id = `step_${id}`;
  if (id === '' || id === 'end' || id === 'fail') id = `step_${id}`;
  let unique = id;
  for (let n = 2; taken.has(unique); n++) unique = `${id}_${n}`;
  taken.add(unique);
  return unique;
}

/** An input type of the workflow language from another tool's type name. */
export function inputType(type: unknown): string | undefined {
  switch (String(type ?? '').toLowerCase()) {
    case 'string':
    case 'str':
    case 'text':
      return 'string';
    case 'int':
    case 'integer':
    case 'double':
    case 'float':
    case 'number':
      return 'number';
    case 'bool':
    case 'boolean':
      return 'boolean';
    case 'list':
    case 'array':
      return 'array';
    case 'object':
    case 'dict':
      return 'object';
    default:
      return undefined;
  }
}

/**
 * A map keyed by names from the imported file: prototype-free, so `__proto__` or
 * `constructor` as an input or agent name is data, not a property of every object.
 */
export function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
