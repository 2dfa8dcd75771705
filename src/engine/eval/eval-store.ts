/**
 * Evals on disk: `<root>/evals/<eval-id>.jsonl`, beside the runs their cases link to.
 * A line is written as each case run finishes, so a killed eval keeps every result
 * it had and `--resume` runs only the rest.
 */
import { createReadStream, createWriteStream, mkdirSync, readdirSync, type WriteStream } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { systemIds, type IdSource } from '../ids';
import type { CaseResult, EvalHeader, EvalRecord } from './results';

export class EvalStore {
  readonly dir: string;

  constructor(
    readonly root: string,
    private readonly ids: IdSource = systemIds,
  ) {
    this.dir = path.join(root, 'evals');
  }

  /** Starts a new eval file with its header. */
  create(header: Omit<EvalHeader, 'type' | 'v' | 'id'>): EvalWriter {
    const id = this.ids.runId(header.startedAt);
    const full: EvalHeader = { type: 'eval', v: 1, id, ...header };
    mkdirSync(this.dir, { recursive: true });
    const writer = new EvalWriter(path.join(this.dir, `${id}.jsonl`), 'wx');
    writer.write(full);
    return writer;
  }

  /** Appends to an existing eval (resume). */
  reopen(file: string): EvalWriter {
    return new EvalWriter(file, 'a');
  }

  /** An eval's file from its id (or a unique prefix), or a path; undefined when none matches. */
  find(idOrPath: string): string | undefined {
    if (idOrPath.endsWith('.jsonl')) return path.resolve(idOrPath);
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((name) => name.endsWith('.jsonl'));
    } catch {
      return undefined;
    }
    const matches = names.filter((name) => name.startsWith(idOrPath));
    return matches.length === 1 ? path.join(this.dir, matches[0]) : undefined;
  }

  /** Eval ids, newest last. */
  list(): string[] {
    try {
      return readdirSync(this.dir)
        .filter((name) => name.endsWith('.jsonl'))
        .map((name) => name.slice(0, -'.jsonl'.length))
        .sort();
    } catch {
      return [];
    }
  }
}

export class EvalWriter {
  private readonly stream: WriteStream;
  private failure: Error | undefined;

  constructor(
    readonly file: string,
    flags: 'wx' | 'a',
  ) {
    this.stream = createWriteStream(file, { flags, encoding: 'utf8' });
    this.stream.on('error', (error) => (this.failure ??= error));
  }

  write(record: EvalRecord): void {
    if (!this.failure) this.stream.write(JSON.stringify(record) + '\n');
  }

  /** Resolves once every line is handed to the OS; rejects with the first write error. */
  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.stream.end(() => (this.failure ? reject(this.failure) : resolve()));
    });
  }
}

/** An eval file's records in order; a torn last line (a kill mid-write) is skipped. */
export async function* readEval(file: string): AsyncGenerator<EvalRecord> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let record: EvalRecord;
    try {
      record = JSON.parse(line) as EvalRecord;
    } catch {
      continue;
    }
    yield record;
  }
}

/** The header and the case results of an eval file (the whole file: for compare and resume). */
export async function loadEval(file: string): Promise<{ header: EvalHeader; results: CaseResult[] }> {
  let header: EvalHeader | undefined;
  const results: CaseResult[] = [];
  for await (const record of readEval(file)) {
    if (record.type === 'eval') header ??= record;
    else if (record.type === 'case') results.push(record);
  }
  if (!header) throw new Error(`${file} is not an eval (it has no header line)`);
  return { header, results };
}
