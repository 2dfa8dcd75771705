/**
 * Random workflows that nest the engine's constructs in each other, to any depth the
 * arbitrary reaches: `parallel` (mapped or not) whose branches are maps, parallels and
 * sub-workflows; `for_each` over any of those; sub-workflows that are random workflows
 * themselves (and use others); `switch` loops with a self-reading counter; `if:` on
 * branches that reads `index`; `check:` that reads `item`. For property tests of the
 * engine's promise: same replies, same path.
 */
import fc from 'fast-check';

export interface RandomWorkflow {
  /** The main file's YAML. */
  main: string;
  /** Sub-workflow files by path, for an in-memory loader. */
  files: Record<string, string>;
}

/** Something that can run where a step can: at the top, as a branch, or as a mapped body. */
type Body =
  | { kind: 'prompt'; check: boolean }
  | { kind: 'set' }
  | { kind: 'parallel'; branches: Body[]; skipOdd: boolean }
  | { kind: 'map'; items: number; concurrency: number; body: Body }
  | { kind: 'sub'; pieces: Piece[] };

/** A top-level piece: a body, or a loop that only the top of a file can hold (branches cannot move the run). */
type Piece = Body | { kind: 'loop'; times: number };

const { body } = fc.letrec<{ body: Body; pieces: Piece[] }>((tie) => ({
  body: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('prompt' as const), check: fc.boolean() }),
    fc.constant<Body>({ kind: 'set' }),
    fc.record({ kind: fc.constant('parallel' as const), branches: fc.array(tie('body'), { minLength: 1, maxLength: 3 }), skipOdd: fc.boolean() }),
    fc.record({ kind: fc.constant('map' as const), items: fc.integer({ min: 0, max: 3 }), concurrency: fc.integer({ min: 1, max: 4 }), body: tie('body') }),
    fc.record({ kind: fc.constant('sub' as const), pieces: tie('pieces') as fc.Arbitrary<Piece[]> }),
  ) as fc.Arbitrary<Body>,
  pieces: fc.array(fc.oneof({ depthSize: 'small' }, tie('body') as fc.Arbitrary<Piece>, fc.record({ kind: fc.constant('loop' as const), times: fc.integer({ min: 1, max: 3 }) })), { minLength: 1, maxLength: 4 }),
}));

const topPieces: fc.Arbitrary<Piece[]> = fc.array(fc.oneof(body as fc.Arbitrary<Piece>, fc.record({ kind: fc.constant('loop' as const), times: fc.integer({ min: 1, max: 3 }) })), { minLength: 1, maxLength: 6 });

/** A workflow of 1–6 nested pieces; `concurrency` overrides every `concurrency:` when given (to compare settings). */
export function randomWorkflow(concurrency?: number): fc.Arbitrary<{ pieces: Piece[]; render: (concurrency?: number) => RandomWorkflow }> {
  return topPieces.map((pieces) => ({ pieces, render: (c = concurrency) => renderAll(pieces, c) }));
}

function renderAll(pieces: Piece[], concurrency: number | undefined): RandomWorkflow {
  const files: Record<string, string> = {};
  const main = new FileWriter('random', files, concurrency).file(pieces, false);
  return { main, files };
}

/** Writes one file; sub-workflows it meets become files of their own, in `files`. */
class FileWriter {
  private readonly lines: string[] = [];
  private next = 0;

  constructor(
    private readonly name: string,
    private readonly files: Record<string, string>,
    private readonly concurrency: number | undefined,
  ) {}

  file(pieces: Piece[], isSub: boolean): string {
    this.lines.push(`name: ${this.name}`, 'inputs:', isSub ? '  topic: {}' : '  topic: { default: owls }', 'model: { provider: scripted, name: m }', 'steps:');
    let previous = 'inputs.topic';
    const ids: string[] = [];
    pieces.forEach((piece, i) => {
      const id = `s${i}`;
      if (piece.kind === 'loop') {
        this.lines.push(
          `  - id: ${id}`,
          `    set: "{{ steps.${id}.status == 'succeeded' ? steps.${id}.output + 1 : 1 }}"`,
          `    max_visits: ${piece.times + 1}`,
          `  - id: ${id}w`,
          `    prompt: "loop ${i} {{ steps.${id}.output }} {{ ${previous} }}"`,
          `  - id: ${id}g`,
          `    switch: 'steps.${id}.output < ${piece.times} ? "again" : "on"'`,
          `    cases: { again: ${id}, on: ${i + 1 < pieces.length ? `s${i + 1}` : 'end'} }`,
        );
        previous = `steps.${id}w.output`;
      } else {
        this.step(id, piece, '  ', previous, {});
        previous = `steps.${id}.output`;
      }
      ids.push(id);
    });
    this.lines.push('outputs:', ...ids.map((id) => `  ${id}: "{{ steps.${id}.output }}"`));
    return this.lines.join('\n') + '\n';
  }

  /** One step at `indent` (the `- ` goes before it); `keys` are extra lines such as `for_each`. */
  private step(id: string, body: Body, indent: string, previous: string, scope: { item?: boolean; index?: boolean }, extra: string[] = []): void {
    const at = `${indent}  `;
    const item = scope.item ? ' {{ item }}/{{ index }}' : '';
    const first = `${indent}- id: ${id}`;
    switch (body.kind) {
      case 'prompt':
        this.lines.push(first, ...extra.map((l) => at + l), `${at}prompt: "${id}${item} {{ ${previous} }}"`);
        // `item` in a check is the item of the execution being checked.
        if (body.check) this.lines.push(`${at}check: 'size(output) > 0${scope.item ? ' && string(item) != ""' : ''}'`);
        return;
      case 'set':
        this.lines.push(first, ...extra.map((l) => at + l), `${at}set: { from: "{{ ${previous} }}", at: "${id}${item}" }`);
        return;
      case 'map': {
        const items = JSON.stringify(Array.from({ length: body.items }, (_, k) => `${id}x${k}`));
        const inner = [`for_each: '${items}'`, `concurrency: ${this.concurrency ?? body.concurrency}`];
        // A map's body is the same step with `for_each`; a map of a map becomes a map of a one-branch parallel.
        if (body.body.kind === 'map') this.step(id, { kind: 'parallel', branches: [body.body], skipOdd: false }, indent, previous, { item: true }, [...extra, ...inner]);
        else this.step(id, body.body, indent, previous, { item: true }, [...extra, ...inner]);
        return;
      }
      case 'parallel': {
        this.lines.push(first, ...extra.map((l) => at + l), `${at}parallel:`);
        body.branches.forEach((branch, b) => {
          const branchId = `${id}b${b}`;
          // Skipping odd items tests skipped executions inside mapped ones.
          const skip = body.skipOdd && scope.item && b === 0 && branch.kind !== 'map' ? ['if: "index % 2 == 0"'] : [];
          this.step(branchId, branch, `${at}  `, previous, scope, skip);
        });
        return;
      }
      case 'sub': {
        const file = `./sub${Object.keys(this.files).length + this.next++}-${id}.workflow.yaml`;
        this.files[file] = '';
        this.files[file] = new FileWriter(`sub ${id}`, this.files, this.concurrency).file(body.pieces, true);
        this.lines.push(first, ...extra.map((l) => at + l), `${at}uses: ${file}`, `${at}with: { topic: "${id}${item} {{ ${previous} }}" }`);
        return;
      }
    }
  }
}

/** A reply that depends only on what was sent and the seed: the same request gets the same reply, in any order. */
export function replyFor(seed: number, prompt: string): string {
  let hash = seed >>> 0 || 1;
  for (let i = 0; i < prompt.length; i++) hash = Math.imul(hash ^ prompt.charCodeAt(i), 0x01000193) >>> 0;
  return `r${hash.toString(36)}`;
}
