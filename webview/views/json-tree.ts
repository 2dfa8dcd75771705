/**
 * A structured output as a tree: objects and arrays fold with `<details>` (keyboard
 * and screen-reader friendly as they are), leaves are text. Values are bound as
 * text, never as markup, so a string inside a JSON output cannot inject anything.
 */
import { html, nothing, type TemplateResult } from 'lit';

/** Beyond this many entries a node shows the first ones and says how many it hides. */
const MAX_ENTRIES = 500;

export interface JsonTreeOptions {
  /** Keys of expanded nodes (`path`), kept in the UI state. */
  expanded: ReadonlySet<string>;
  /** Nodes down to this depth start open when not in `expanded` yet. */
  openDepth: number;
  onToggle(path: string, open: boolean): void;
}

export function jsonTree(value: unknown, options: JsonTreeOptions, path = '$'): TemplateResult {
  return html`<div class="json-tree" role="tree" aria-label="Structured output">${node(undefined, value, path, 0, options)}</div>`;
}

function node(key: string | undefined, value: unknown, path: string, depth: number, options: JsonTreeOptions): TemplateResult {
  const label = key === undefined ? nothing : html`<span class="json-key">${key}</span><span class="json-colon">: </span>`;
  if (value === null || typeof value !== 'object') {
    return html`<div class="json-leaf" role="treeitem">${label}${leaf(value)}</div>`;
  }
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value as Record<string, unknown>);
  const summary = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
  const open = options.expanded.has(path) || (depth < options.openDepth && !options.expanded.has(`!${path}`));
  const shown = entries.slice(0, MAX_ENTRIES);
  return html`<details
    class="json-node"
    role="treeitem"
    ?open=${open}
    @toggle=${(e: Event) => {
      const isOpen = (e.currentTarget as HTMLDetailsElement).open;
      if (isOpen !== open) options.onToggle(path, isOpen);
      e.stopPropagation();
    }}
  >
    <summary>${label}<span class="json-summary">${summary}</span></summary>
    <div class="json-children" role="group">
      ${open ? shown.map(([k, v]) => node(k, v, `${path}.${k}`, depth + 1, options)) : nothing}
      ${entries.length > MAX_ENTRIES ? html`<div class="json-more">… ${entries.length - MAX_ENTRIES} more</div>` : nothing}
    </div>
  </details>`;
}

function leaf(value: unknown): TemplateResult {
  if (typeof value === 'string') return html`<span class="json-string">"${value}"</span>`;
  if (typeof value === 'number' || typeof value === 'bigint') return html`<span class="json-number">${String(value)}</span>`;
  if (typeof value === 'boolean') return html`<span class="json-boolean">${String(value)}</span>`;
  return html`<span class="json-null">${value === null ? 'null' : String(value)}</span>`;
}
