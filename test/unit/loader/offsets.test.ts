/**
 * `scalarOffsets`: every character of a scalar's value is found where the file writes
 * it, whatever the quoting, folding or escapes — so problems inside multi-line and quoted
 * expressions point at the name. Property-tested over values the yaml library writes in
 * each scalar style, and by example for the styles authors write by hand.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isMap, isScalar, parseDocument, stringify, type Scalar } from 'yaml';
import { scalarOffsets } from '../../../src/engine/source';

const STYLES = ['PLAIN', 'QUOTE_SINGLE', 'QUOTE_DOUBLE', 'BLOCK_LITERAL', 'BLOCK_FOLDED'] as const;

/** The value's scalar node in `value: ...`, with its raw text. */
function scalarOf(yaml: string): { node: Scalar; raw: string } | undefined {
  const doc = parseDocument(yaml);
  if (doc.errors.length > 0 || !isMap(doc.contents)) return undefined;
  const node = doc.contents.items[0]?.value;
  if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return undefined;
  return { node, raw: yaml.slice(node.range[0], node.range[1]) };
}

/** Words and the characters that make quoting, folding and escaping hard. */
const piece = fc.oneof(
  fc.constantFrom('steps.draft.output', 'inputs.topic', 'x', '{{', '}}', ' ', '  ', '\n', '\t', '"', "'", '\\', 'é', '😀', '#', ': ', '- ', '\u0085'),
  fc.stringMatching(/^[a-z_]{1,8}$/),
);
const values = fc.array(piece, { minLength: 1, maxLength: 20 }).map((parts) => parts.join(''));

describe('scalarOffsets', () => {
  test('every character of the value is at its offset in the file, in every style the yaml library writes', () => {
    fc.assert(
      fc.property(values, fc.constantFrom(...STYLES), fc.integer({ min: 12, max: 60 }), (value, style, lineWidth) => {
        const yaml = stringify({ value }, { defaultStringType: style, lineWidth, minContentWidth: 4 });
        const scalar = scalarOf(yaml);
        fc.pre(scalar !== undefined && scalar.node.value === value);
        const offsets = scalarOffsets(value, scalar!.raw, scalar!.node.type);
        assert.ok(offsets, `lines up ${JSON.stringify(scalar!.raw)} (${scalar!.node.type})`);
        assert.equal(offsets.length, value.length + 1);
        for (let i = 1; i < offsets.length; i++) assert.ok(offsets[i] >= offsets[i - 1], 'offsets never go back');
        // A character other than white space is written as itself, or as an escape (`\\x`, `''`).
        for (let i = 0; i < value.length; i++) {
          if (/\s/.test(value[i])) continue;
          const written = scalar!.raw[offsets[i]];
          assert.ok(written === value[i] || written === '\\' || (written === "'" && value[i] === "'") || value.codePointAt(i - 1)! > 0xffff, `${JSON.stringify(value[i])} at ${offsets[i]} in ${JSON.stringify(scalar!.raw)}`);
        }
      }),
      { numRuns: 500 },
    );
  });

  test('hand-written styles: folded, literal, escapes, doubled quotes, continuation lines', () => {
    const cases: [string, string][] = [
      ['value: >\n  inputs.a &&\n  inputs.target\n', 'target'],
      ['value: |\n  x\n    ? y\n    : steps.target.output\n', 'target'],
      ['value: "a\\tb \\u00e9\\\n   steps.target"\n', 'target'],
      ["value: 'It''s {{ inputs.target }}'\n", 'target'],
      ['value: plain words\n  continued target\n', 'target'],
      ['value: >-  # a comment\n  one\n\n  two target\n', 'target'],
      ['value: "\\x41\\U0001F600 target"\n', 'target'],
    ];
    for (const [yaml, word] of cases) {
      const scalar = scalarOf(yaml)!;
      const value = scalar.node.value as string;
      const offsets = scalarOffsets(value, scalar.raw, scalar.node.type)!;
      assert.ok(offsets, yaml);
      const at = value.indexOf(word);
      assert.equal(scalar.raw.slice(offsets[at], offsets[at + word.length - 1] + 1), word, yaml);
    }
  });

  test('a value that is not written in the text (an alias) does not line up', () => {
    assert.equal(scalarOffsets('hello', '*greeting', 'PLAIN'), undefined);
  });
});
