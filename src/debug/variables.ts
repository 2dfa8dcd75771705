/**
 * Values in the Variables view, the Watch and the Debug Console: a short preview
 * per value, objects and lists expandable, model data shown as data (own properties
 * only, so keys like `__proto__` are plain entries).
 */
import { Handles } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';

/** Something the view can expand; `set` changes one of its entries (a step's `output`). */
export interface Container {
  value: unknown;
  set?: (name: string, value: unknown) => void;
  /** Gives the container of an entry (to make `steps.<id>` settable). */
  child?: (name: string, value: unknown) => Container;
}

export class VariableStore {
  private readonly handles = new Handles<Container>();

  /** A reference the view expands, or 0 for a value with nothing inside. */
  reference(container: Container): number {
    return expandable(container.value) ? this.handles.create(container) : 0;
  }

  /** A scope's reference: always one, so an empty scope opens to nothing rather than looking like a value. */
  scope(container: Container): number {
    return this.handles.create(container);
  }

  get(reference: number): Container | undefined {
    return this.handles.get(reference);
  }

  reset(): void {
    this.handles.reset();
  }

  variables(container: Container): DebugProtocol.Variable[] {
    return entries(container.value).map(([name, value]) => this.variable(name, value, container));
  }

  variable(name: string, value: unknown, parent?: Container): DebugProtocol.Variable {
    const child = parent?.child ? parent.child(name, value) : { value };
    return { name, value: preview(value), type: typeOf(value), variablesReference: this.reference(child), ...(expandable(value) ? { namedVariables: entries(value).length } : {}) };
  }
}

export function entries(value: unknown): [string, unknown][] {
  if (Array.isArray(value)) return value.map((item, index) => [String(index), item]);
  if (value !== null && typeof value === 'object') return Object.keys(value).map((key) => [key, (value as Record<string, unknown>)[key]]);
  return [];
}

function expandable(value: unknown): boolean {
  return value !== null && typeof value === 'object' && entries(value).length > 0;
}

function typeOf(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'map';
  if (typeof value === 'bigint') return 'int';
  return typeof value;
}

/** One line: strings quoted, lists and maps summarized. */
export function preview(value: unknown, room = 120): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > room ? `${value.slice(0, room)}…` : value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `list(${value.length}) [${value.slice(0, 3).map((item) => preview(item, 20)).join(', ')}${value.length > 3 ? ', …' : ''}]`;
  const keys = Object.keys(value);
  return `{${keys.slice(0, 4).map((key) => `${key}: ${preview((value as Record<string, unknown>)[key], 20)}`).join(', ')}${keys.length > 4 ? ', …' : ''}}`;
}
