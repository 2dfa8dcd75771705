/** What an importer produces: the workflow as plain data, and what it could not carry over. */

export interface Unmapped {
  /** Where in the source: a node, a key, a line. */
  what: string;
  why: string;
}

export class ImportReport {
  readonly unmapped: Unmapped[] = [];
  readonly mapped: string[] = [];

  skip(what: string, why: string): void {
    this.unmapped.push({ what, why });
  }

  note(text: string): void {
    this.mapped.push(text);
  }

  /** The report as lines, for the workflow's header comment and the terminal. */
  lines(): string[] {
    return [
      ...this.mapped.map((text) => `mapped: ${text}`),
      ...(this.unmapped.length === 0 ? ['everything was mapped'] : this.unmapped.map((u) => `not mapped: ${u.what} — ${u.why}`)),
    ];
  }
}

/** The workflow an importer builds, in the shape of the workflow language. */
export interface WorkflowData {
  name: string;
  description?: string;
  inputs?: Record<string, Record<string, unknown>>;
  model?: Record<string, unknown>;
  workers?: Record<string, Record<string, unknown>>;
  steps: Record<string, unknown>[];
  outputs?: Record<string, unknown>;
}

export type SourceFormat = 'promptflow' | 'prompty' | 'github-models' | 'agent-framework';

export const FORMAT_NAMES: Record<SourceFormat, string> = {
  promptflow: 'Prompt flow (flow.dag.yaml)',
  prompty: 'Prompty (.prompty)',
  'github-models': 'GitHub Models prompt (.prompt.yml)',
  'agent-framework': 'Agent Framework declarative workflow',
};

export interface ImportResult {
  format: SourceFormat;
  /** The workflow file's text, with the report as its header comment. */
  text: string;
  report: ImportReport;
}
