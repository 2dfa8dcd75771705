/**
 * Dataset rows, one at a time: `.jsonl` and `.csv` are streamed (a 100,000-row file
 * runs in flat memory), `.yaml` is read whole (YAML cannot be read a row at a time).
 * Each row becomes a run's inputs through the column mapping.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parse as parseCsv } from 'csv-parse';
import { parse as parseYaml } from 'yaml';
import { setEntry } from '../expressions';
import type { Workflow } from '../types';

export interface DatasetRow {
  /** 0-based, in file order: the row's identity in results and on resume. */
  index: number;
  /** 1-based line where the row starts, for messages. */
  line: number;
  values: Record<string, unknown>;
}

/** A row that cannot be read, located in its file. */
export class DatasetError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
  ) {
    super(`${file}:${line}: ${message}`);
    this.name = 'DatasetError';
  }
}

export const DATASET_EXTENSIONS = ['.jsonl', '.ndjson', '.csv', '.yaml', '.yml', '.json'];

export function isDatasetFile(file: string): boolean {
  return DATASET_EXTENSIONS.some((ext) => file.toLowerCase().endsWith(ext));
}

/** The rows of a dataset file, in order. */
export async function* readRows(file: string): AsyncGenerator<DatasetRow> {
  const lower = file.toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) yield* jsonLines(file);
  else if (lower.endsWith('.csv')) yield* csvRows(file);
  else if (lower.endsWith('.yaml') || lower.endsWith('.yml') || lower.endsWith('.json')) yield* wholeFile(file);
  else throw new DatasetError(`a dataset is a .jsonl, .csv or .yaml file of rows, not \`${file.split(/[\\/]/).pop()}\``, file, 1);
}

async function* jsonLines(file: string): AsyncGenerator<DatasetRow> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  let index = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new DatasetError(`this line is not JSON (${(error as Error).message}); each line of a .jsonl file is one row, a JSON object`, file, line);
    }
    yield { index: index++, line, values: rowObject(value, file, line) };
  }
}

async function* csvRows(file: string): AsyncGenerator<DatasetRow> {
  const parser = createReadStream(file).pipe(parseCsv({ columns: true, bom: true, skip_empty_lines: true, trim: false, info: true }));
  let index = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      const values = Object.create(null) as Record<string, unknown>;
      for (const [key, value] of Object.entries(record)) setEntry(values, key, value);
      yield { index: index++, line: info.lines, values: { ...values } };
    }
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    const line = (error as { lines?: number }).lines ?? 1;
    throw new DatasetError(`this CSV row cannot be read: ${(error as Error).message.replace(/^Invalid Record Length: /, '')}`, file, line);
  }
}

async function* wholeFile(file: string): AsyncGenerator<DatasetRow> {
  let rows: unknown;
  try {
    rows = parseYaml(await readFile(file, 'utf8'), { maxAliasCount: 1000 });
  } catch (error) {
    const line = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line ?? 1;
    throw new DatasetError(`this is not YAML: ${(error as Error).message.split('\n')[0]}`, file, line);
  }
  if (!Array.isArray(rows)) throw new DatasetError('a .yaml dataset is a list of rows, each a mapping of column names to values', file, 1);
  for (let index = 0; index < rows.length; index++) yield { index, line: 1, values: rowObject(rows[index], file, 1) };
}

function rowObject(value: unknown, file: string, line: number): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new DatasetError('a row is an object of column names and values, e.g. {"message": "…"}', file, line);
  return value as Record<string, unknown>;
}

/**
 * A row's inputs: each declared input from the column `columns` names for it, or from
 * the column of its own name. Columns that are no input stay in `row` for expectations.
 */
export function rowInputs(workflow: Workflow, row: Record<string, unknown>, columns: Record<string, string>): Record<string, unknown> {
  const inputs = Object.create(null) as Record<string, unknown>;
  for (const input of workflow.inputs) {
    const column = Object.hasOwn(columns, input.name) ? columns[input.name] : input.name;
    if (Object.hasOwn(row, column)) setEntry(inputs, input.name, row[column]);
  }
  return { ...inputs };
}

/**
 * About how many rows a file holds, for an ETA: its lines (less a CSV's header), read
 * in chunks without parsing. A quoted CSV value across lines makes it an overcount.
 */
export async function estimateRows(file: string): Promise<number> {
  const lower = file.toLowerCase();
  if (!lower.endsWith('.jsonl') && !lower.endsWith('.ndjson') && !lower.endsWith('.csv')) {
    let count = 0;
    for await (const row of readRows(file)) count = row.index + 1;
    return count;
  }
  let lines = 0;
  let last = 10;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
    last = chunk[chunk.length - 1];
  }
  if (last !== 10) lines++;
  return Math.max(0, lower.endsWith('.csv') ? lines - 1 : lines);
}
