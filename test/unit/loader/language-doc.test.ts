/**
 * docs/language.md agrees with the engine: its table of keys per kind is the one the
 * loader reads from the schema, and it lists every problem code.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEY_REQUIRES, KEYS_BY_KIND, KIND_NAMES } from '../../../src/engine/shape';
import { PROBLEM_CODES } from '../fuzz/invariants';

const DOC = readFileSync(join(__dirname, '../../../docs/language.md'), 'utf8');

/** The rows of the table under `### heading`: first cell's keys → second cell. */
function tableUnder(heading: string): Map<string, string> {
  const section = DOC.slice(DOC.indexOf(`### ${heading}`));
  const rows = new Map<string, string>();
  for (const line of section.split('\n').slice(1)) {
    if (line.startsWith('#')) break;
    const cells = /^\| (.+?) \| (.+?) \|$/.exec(line);
    if (!cells || cells[1] === 'key' || cells[1].startsWith('---')) continue;
    for (const key of cells[1].matchAll(/`([a-z_]+)`/g)) rows.set(key[1], cells[2]);
  }
  return rows;
}

describe('docs/language.md', () => {
  test('the keys-per-kind table is the schema\'s', () => {
    const rows = tableUnder('Keys each kind accepts');
    const kindWord: Record<string, string> = { ...KIND_NAMES, workflow: 'workflow (`uses:`)' };
    for (const [key, kinds] of KEYS_BY_KIND) {
      assert.equal(rows.get(key), kinds.map((k) => kindWord[k]).join(', '), key);
    }
    for (const [key, requires] of KEY_REQUIRES) assert.equal(rows.get(key), `any step with \`${requires}\``, key);
    assert.equal(rows.size, KEYS_BY_KIND.size + KEY_REQUIRES.size, 'no key the schema does not list');
  });

  test('every problem code is listed', () => {
    for (const code of PROBLEM_CODES) assert.ok(DOC.includes(`\`${code}\``), code);
  });
});
