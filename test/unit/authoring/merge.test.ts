/**
 * Merge by step: a table of three-way cases, and a real `git merge` with the driver
 * configured the way the README says.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { mergeWorkflows } from '../../../src/authoring/merge';
import { checkWorkflow, formatProblem } from '../../../src/engine';

const step = (id: string, prompt = `Do ${id}.`, extra = '') => `  - id: ${id}\n    prompt: ${prompt}\n${extra}`;
const wf = (...steps: string[]) => `# A shared header comment\nname: Merge me\ninputs:\n  topic: { default: x }\n\nsteps:\n${steps.join('\n')}\noutputs:\n  result: ok\n`;

interface Case {
  name: string;
  base: string;
  ours: string;
  theirs: string;
  /** The merged text, when clean. */
  expected?: string;
  conflicts?: number;
  /** For conflicts: the text that must appear between the markers' neighbours. */
  check?: (text: string) => void;
}

const A = step('a');
const B = step('b');
const C = step('c');
const D = step('d');

const cases: Case[] = [
  { name: 'nothing changed', base: wf(A, B), ours: wf(A, B), theirs: wf(A, B), expected: wf(A, B) },
  { name: 'only theirs changed', base: wf(A, B), ours: wf(A, B), theirs: wf(A, step('b', 'Do b better.')), expected: wf(A, step('b', 'Do b better.')) },
  { name: 'steps added on both sides are both kept', base: wf(A, B), ours: wf(A, C, B), theirs: wf(A, B, D), expected: wf(A, C, B, D) },
  { name: 'the same step added on both sides alike is kept once', base: wf(A), ours: wf(A, C), theirs: wf(A, C), expected: wf(A, C) },
  { name: 'different steps edited on each side', base: wf(A, B), ours: wf(step('a', 'Ours a.'), B), theirs: wf(A, step('b', 'Theirs b.')), expected: wf(step('a', 'Ours a.'), step('b', 'Theirs b.')) },
  {
    name: 'different lines of one step edited on each side merge inside the step',
    base: wf(step('a', 'Do a.', '    max_visits: 2\n    retries: 1\n')),
    ours: wf(step('a', 'Ours a.', '    max_visits: 2\n    retries: 1\n')),
    theirs: wf(step('a', 'Do a.', '    max_visits: 2\n    retries: 3\n')),
    expected: wf(step('a', 'Ours a.', '    max_visits: 2\n    retries: 3\n')),
  },
  {
    name: 'the same line of one step edited on both sides is a conflict inside that step only',
    base: wf(A, B, C),
    ours: wf(A, step('b', 'Ours b.'), C),
    theirs: wf(A, step('b', 'Theirs b.'), C),
    conflicts: 1,
    check: (text) => {
      assert.ok(text.includes(`  - id: b\n<<<<<<< ours\n    prompt: Ours b.\n=======\n    prompt: Theirs b.\n>>>>>>> theirs\n`), text);
      assert.ok(text.includes(A) && text.includes(C));
    },
  },
  { name: 'a reordering on one side and an edit on the other', base: wf(A, B, C), ours: wf(C, A, B), theirs: wf(A, step('b', 'Theirs b.'), C), expected: wf(C, A, step('b', 'Theirs b.')) },
  { name: 'a reordering on theirs and an addition on ours: the new step follows the step it followed', base: wf(A, B, C), ours: wf(A, B, D, C), theirs: wf(B, A, C), expected: wf(B, D, A, C) },
  { name: 'deleted on one side, untouched on the other: deleted', base: wf(A, B, C), ours: wf(A, C), theirs: wf(A, B, C), expected: wf(A, C) },
  {
    name: 'deleted on one side, changed on the other: a conflict',
    base: wf(A, B, C),
    ours: wf(A, C),
    theirs: wf(A, step('b', 'Theirs b.'), C),
    conflicts: 1,
    check: (text) => assert.ok(text.includes(`<<<<<<< ours (deleted \`b\`)\n=======\n  - id: b\n    prompt: Theirs b.\n>>>>>>> theirs\n`), text),
  },
  { name: 'header and outputs merge line by line', base: wf(A), ours: wf(A).replace('name: Merge me', 'name: Renamed'), theirs: wf(A).replace('result: ok', 'result: done'), expected: wf(A).replace('name: Merge me', 'name: Renamed').replace('result: ok', 'result: done') },
  { name: 'prototype names as step ids', base: wf(step('constructor'), step('__proto__')), ours: wf(step('constructor'), step('__proto__'), step('toString')), theirs: wf(step('valueOf'), step('constructor'), step('__proto__')), expected: wf(step('valueOf'), step('constructor'), step('__proto__'), step('toString')) },
];

describe('three-way merge by step', () => {
  for (const c of cases) {
    test(c.name, () => {
      const result = mergeWorkflows(c.base, c.ours, c.theirs);
      assert.equal(result.conflicts, c.conflicts ?? 0, result.text);
      if (c.expected !== undefined) {
        assert.equal(result.text, c.expected);
        assert.deepEqual(checkWorkflow(result.text, 'merged.workflow.yaml').problems.map(formatProblem), []);
      }
      c.check?.(result.text);
    });
  }

  test('a section comment between steps travels with the step after it', () => {
    const base = wf(A, `  # Section two\n\n${B}`);
    const result = mergeWorkflows(base, base, wf(A, `  # Section two\n\n${B}`, C));
    assert.equal(result.conflicts, 0);
    assert.match(result.text, /# Section two\n\n {2}- id: b/);
  });

  test('a version that is not a workflow falls back to a line merge', () => {
    const result = mergeWorkflows('a: 1\n', 'a: 2\n', 'a: 3\n');
    assert.equal(result.conflicts, 1);
    assert.match(result.notes[0], /line by line/);
  });
});

describe('git merge with the driver configured', () => {
  const hasGit = spawnSync('git', ['--version']).status === 0;
  test('a branch that adds a step and one that edits another merge cleanly; a clash stays inside its step', { skip: !hasGit && 'git is not installed' }, () => {
    const repo = mkdtempSync(path.join(tmpdir(), 'orchestrate-merge-'));
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
    const entry = path.resolve(__dirname, '../../support/cli-entry.ts');
    git('init', '-q', '-b', 'main');
    git('config', 'merge.orchestrate.name', 'Orchestrate: merge workflows by step');
    const tsx = require.resolve('tsx', { paths: [path.resolve(__dirname, '../../..')] });
    // What the README's `npx orchestrate merge-driver %O %A %B %P` runs, from source.
    git('config', 'merge.orchestrate.driver', `"${process.execPath}" --import "file://${tsx}" "${entry}" merge-driver %O %A %B %P`);
    writeFileSync(path.join(repo, '.gitattributes'), '*.workflow.yaml merge=orchestrate\n');
    const file = path.join(repo, 'flow.workflow.yaml');
    writeFileSync(file, wf(A, B, C));
    git('add', '.');
    git('commit', '-qm', 'base');
    git('checkout', '-qb', 'theirs');
    writeFileSync(file, wf(A, step('b', 'Theirs b.'), C, D));
    git('commit', '-qam', 'theirs');
    git('checkout', '-q', 'main');
    // A line merge would clash here: both sides insert right after `a`/`b`.
    writeFileSync(file, wf(A, step('x'), B, C));
    git('commit', '-qam', 'ours');
    const clean = spawnSync('git', ['merge', '-q', '--no-edit', 'theirs'], { cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
    assert.equal(clean.status, 0, clean.stdout + clean.stderr);
    assert.equal(readFileSync(file, 'utf8'), wf(A, step('x'), step('b', 'Theirs b.'), C, D));

    git('checkout', '-qb', 'clash-theirs');
    writeFileSync(file, wf(A, step('x', 'Theirs x.'), step('b', 'Theirs b.'), C, D));
    git('commit', '-qam', 'theirs x');
    git('checkout', '-q', 'main');
    writeFileSync(file, wf(A, step('x', 'Ours x.'), step('b', 'Theirs b.'), C, D));
    git('commit', '-qam', 'ours x');
    const clash = spawnSync('git', ['merge', '-q', '--no-edit', 'clash-theirs'], { cwd: repo, encoding: 'utf8' });
    assert.equal(clash.status, 1);
    const merged = readFileSync(file, 'utf8');
    assert.ok(merged.includes('  - id: x\n<<<<<<< ours:flow.workflow.yaml\n    prompt: Ours x.\n=======\n    prompt: Theirs x.\n>>>>>>> theirs:flow.workflow.yaml\n'), merged);
    assert.equal(merged.match(/<<<<<<</g)?.length, 1);
  });
});

describe('orchestrate merge', () => {
  test('prints the merged workflow and exits 1 when conflicts are left', async () => {
    const { main } = await import('../../../src/cli/main');
    const dir = mkdtempSync(path.join(tmpdir(), 'orchestrate-merge-cli-'));
    const files = ['base', 'ours', 'theirs'].map((name) => path.join(dir, `${name}.workflow.yaml`));
    const write = (texts: string[]) => texts.forEach((text, i) => writeFileSync(files[i], text));
    let out = '';
    let err = '';
    const io = { out: (t: string) => (out += t), err: (t: string) => (err += t), color: false, env: {}, cwd: dir };
    write([wf(A, B), wf(A, C, B), wf(A, B, D)]);
    assert.equal(await main(['merge', ...files], io), 0, err);
    assert.equal(out, wf(A, C, B, D));
    write([wf(A, B), wf(A, step('b', 'Ours.')), wf(A, step('b', 'Theirs.'))]);
    out = '';
    assert.equal(await main(['merge', ...files], io), 1);
    assert.match(err, /1 conflict left/);
    assert.equal(await main(['merge', files[0]], io), 2);
  });
});
