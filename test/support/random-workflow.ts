/**
 * Random workflows that nest the engine's constructs in each other — `parallel`
 * (mapped or not), `for_each`, `switch` loops with a self-reading counter, and
 * sub-workflows — for property tests of the engine's promise: same replies, same path.
 */
import fc from 'fast-check';

export interface RandomWorkflow {
  /** The main file's YAML. */
  main: string;
  /** Sub-workflow files by path, for an in-memory loader. */
  files: Record<string, string>;
}

type Piece =
  | { kind: 'prompt' }
  | { kind: 'set' }
  | { kind: 'map'; items: number; concurrency: number }
  | { kind: 'parallel'; branches: number; mapped: number; concurrency: number }
  | { kind: 'loop'; times: number }
  | { kind: 'sub' };

const piece: fc.Arbitrary<Piece> = fc.oneof(
  fc.constant<Piece>({ kind: 'prompt' }),
  fc.constant<Piece>({ kind: 'set' }),
  fc.record({ kind: fc.constant('map' as const), items: fc.integer({ min: 0, max: 4 }), concurrency: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('parallel' as const), branches: fc.integer({ min: 1, max: 3 }), mapped: fc.integer({ min: 0, max: 3 }), concurrency: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('loop' as const), times: fc.integer({ min: 1, max: 3 }) }),
  fc.constant<Piece>({ kind: 'sub' }),
);

/** A workflow of 1–6 pieces; `concurrency` overrides every `concurrency:` when given (to compare settings). */
export function randomWorkflow(concurrency?: number): fc.Arbitrary<{ pieces: Piece[]; render: (concurrency?: number) => RandomWorkflow }> {
  return fc.array(piece, { minLength: 1, maxLength: 6 }).map((pieces) => ({ pieces, render: (c = concurrency) => render(pieces, c) }));
}

function render(pieces: Piece[], concurrencyOverride: number | undefined): RandomWorkflow {
  const lines = ['name: random', 'inputs:', '  topic: { default: owls }', 'model: { provider: scripted, name: m }', 'steps:'];
  let previous = 'inputs.topic';
  const ids: string[] = [];
  pieces.forEach((p, i) => {
    const id = `s${i}`;
    const read = `{{ ${previous} }}`;
    const concurrency = (n: number) => concurrencyOverride ?? n;
    switch (p.kind) {
      case 'prompt':
        lines.push(`  - id: ${id}`, `    prompt: "p${i} ${read}"`);
        break;
      case 'set':
        lines.push(`  - id: ${id}`, `    set: { from: "${read}", n: ${i} }`);
        break;
      case 'map':
        lines.push(`  - id: ${id}`, `    for_each: '${JSON.stringify(Array.from({ length: p.items }, (_, k) => `x${k}`))}'`, `    concurrency: ${concurrency(p.concurrency)}`, `    prompt: "m${i} {{ item }} {{ index }} ${read}"`);
        break;
      case 'parallel': {
        lines.push(`  - id: ${id}`);
        if (p.mapped > 0) lines.push(`    for_each: '${JSON.stringify(Array.from({ length: p.mapped }, (_, k) => `y${k}`))}'`, `    concurrency: ${concurrency(p.concurrency)}`);
        lines.push('    parallel:');
        for (let b = 0; b < p.branches; b++) {
          const item = p.mapped > 0 ? ' {{ item }}/{{ index }}' : '';
          lines.push(`      - id: ${id}b${b}`, `        prompt: "b${i}.${b}${item} ${read}"`);
        }
        break;
      }
      case 'loop':
        lines.push(
          `  - id: ${id}`,
          `    set: "{{ steps.${id}.status == 'succeeded' ? steps.${id}.output + 1 : 1 }}"`,
          `    max_visits: ${p.times + 1}`,
          `  - id: ${id}w`,
          `    prompt: "loop ${i} {{ steps.${id}.output }} ${read}"`,
          `  - id: ${id}g`,
          `    switch: 'steps.${id}.output < ${p.times} ? "again" : "on"'`,
          `    cases: { again: ${id}, on: ${i + 1 < pieces.length ? `s${i + 1}` : 'end'} }`,
        );
        break;
      case 'sub':
        lines.push(`  - id: ${id}`, '    uses: ./sub.workflow.yaml', `    with: { topic: "${read}" }`);
        break;
    }
    ids.push(id);
    previous = p.kind === 'loop' ? `steps.${id}w.output` : `steps.${id}.output`;
  });
  lines.push('outputs:', ...ids.map((id) => `  ${id}: "{{ steps.${id}.output }}"`));
  const sub = ['name: sub', 'inputs:', '  topic: {}', 'model: { provider: scripted, name: m }', 'steps:', '  - id: a', '    prompt: "sub a {{ inputs.topic }}"', '  - id: b', '    prompt: "sub b {{ steps.a.output }}"', 'outputs:', '  b: "{{ steps.b.output }}"'];
  return { main: lines.join('\n') + '\n', files: { './sub.workflow.yaml': sub.join('\n') + '\n' } };
}

/** A reply that depends only on what was sent and the seed: the same request gets the same reply, in any order. */
export function replyFor(seed: number, prompt: string): string {
  let hash = seed >>> 0 || 1;
  for (let i = 0; i < prompt.length; i++) hash = Math.imul(hash ^ prompt.charCodeAt(i), 0x01000193) >>> 0;
  return `r${hash.toString(36)}`;
}
