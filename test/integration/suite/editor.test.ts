// The editor in a real VS Code (no Red Hat YAML, no Copilot): diagnostics with stable codes
// at the right ranges, quick fixes, completion, hover, navigation, outline, CodeLens, and a
// mock run started from a CodeLens that records its trace and updates the status lenses.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { RunEvent } from '../../../src/engine';
import type { OrchestrateApi } from '../../../src/extension/extension';
import type { RunSession } from '../../../src/extension/runs/session';
import { activateApi, codeLenses, diagnosticsWhen, Fixtures, screenshot, waitForEvent, withCursor } from './editor-helpers';

const CLEAN = `name: Editor Test
description: A workflow the editor suite runs with the mock provider.
inputs:
  topic:
    description: What to write about
    default: rockets
steps:
  - id: classify
    prompt: Classify {{ inputs.topic }}
    output:
      schema:
        type: object
        properties:
          category: { type: string, enum: [science, sport] }
          summary: { type: string }
        required: [category, summary]
    mock: { category: science, summary: Rockets fly. }
  - id: research
    parallel:
      - id: market
        prompt: Market for {{ inputs.topic }}
        mock: big market
      - id: risks
        prompt: Risks of {{ steps.classify.output.category }}
        mock: few risks
  - id: draft
    prompt: |
      Write about {{ steps.classify.output.summary }} using {{ steps.market.output }}.
    mock: A fine draft.
  - id: done
    set: "{{ steps.draft.output }}"
outputs:
  result: "{{ steps.done.output }}"
`;

const BROKEN = `name: Broken
inputs:
  topic: { default: x }
workers:
  writer: { system: You write. }
steps:
  - id: first
    prompt: Hello {{ inputs.topik }}
    retrys: 2
  - id: second
    prompt: Use {{ steps.frist.output }} and {{ steps.first.outpt }}
    next: fisrt
  - id: second
    worker: writter
    prompt: again
`;

/** Where `needle` is in `text`, as a position (0-based), plus `delta` characters. */
function positionOf(text: string, needle: string, delta = 0): vscode.Position {
  const at = text.indexOf(needle);
  assert.ok(at >= 0, `${needle} is not in the text`);
  const before = text.slice(0, at + delta);
  return new vscode.Position(before.split('\n').length - 1, before.length - (before.lastIndexOf('\n') + 1));
}

describe('editor', function () {
  this.timeout(60_000);
  const fixtures = new Fixtures();
  let api: OrchestrateApi;

  before(async () => {
    api = await activateApi();
    console.log(`[orchestrate-tests] activation: ${api.activationMs.toFixed(1)} ms`);
  });

  after(() => fixtures.cleanup());

  describe('diagnostics', () => {
    it('reports each problem with its stable code, severity and range', async () => {
      const uri = await fixtures.write('it-broken.workflow.yaml', BROKEN);
      await vscode.window.showTextDocument(uri);
      const diagnostics = await diagnosticsWhen(uri, (d) => d.length >= 7, 'the diagnostics of it-broken');
      const byCode = new Map(diagnostics.map((d) => [String(d.code), d]));
      const expected: [string, string][] = [
        ['unknown-input-ref', 'topik'],
        ['schema', 'retrys'],
        ['unknown-step-ref', 'frist'],
        ['unknown-step-field', 'outpt'],
        ['unknown-target', 'fisrt'],
        ['unknown-worker', 'writter'],
      ];
      for (const [code, word] of expected) {
        const diagnostic = byCode.get(code);
        assert.ok(diagnostic, `no ${code} diagnostic; got ${[...byCode.keys()].join(', ')}`);
        assert.equal(diagnostic.severity, vscode.DiagnosticSeverity.Error);
        assert.equal(diagnostic.source, 'orchestrate');
        assert.deepEqual(diagnostic.range, new vscode.Range(positionOf(BROKEN, word), positionOf(BROKEN, word, word.length)), `${code} is not on \`${word}\``);
      }
      const duplicate = byCode.get('duplicate-id');
      assert.ok(duplicate);
      assert.equal(duplicate.range.start.line, 12);
      await screenshot('editor-diagnostics', ['.squiggly-error', '.codelens-decoration']);
    });

    it('updates while typing and offers quick fixes', async () => {
      const uri = await fixtures.write('it-fixes.workflow.yaml', BROKEN);
      const editor = await vscode.window.showTextDocument(uri);
      await diagnosticsWhen(uri, (d) => d.length >= 7, 'the first diagnostics');
      // Typing the right name removes the problem, with no save.
      const typo = new vscode.Range(positionOf(BROKEN, 'topik'), positionOf(BROKEN, 'topik', 5));
      await editor.edit((edit) => edit.replace(typo, 'topic'));
      await diagnosticsWhen(uri, (d) => !d.some((x) => x.code === 'unknown-input-ref') && d.length === 6, 'the diagnostics after the edit');

      for (const [code, title] of [
        ['unknown-step-ref', 'Change to `first`'],
        ['unknown-step-field', 'Change to `output`'],
        ['unknown-worker', 'Change to `writer`'],
        ['duplicate-id', 'Rename to `second_2`'],
        ['unknown-target', 'Change to `first`'],
      ]) {
        const diagnostic = vscode.languages.getDiagnostics(uri).find((d) => d.code === code);
        assert.ok(diagnostic, `no ${code} left`);
        const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value)) ?? [];
        const fix = actions.find((a) => a.title === title);
        assert.ok(fix?.edit, `no quick fix "${title}" for ${code}; got ${actions.map((a) => a.title).join(', ')}`);
        await vscode.workspace.applyEdit(fix.edit);
        await diagnosticsWhen(uri, (d) => !d.some((x) => x.code === code), `${code} to go away`);
      }
      const left = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'orchestrate' && d.severity === vscode.DiagnosticSeverity.Error);
      assert.deepEqual(left.map((d) => d.code), ['schema'], 'only the unknown key (no quick fix) is left');
    });

    it('counts problems with the validate command', async () => {
      const uri = await fixtures.write('it-validate.workflow.yaml', BROKEN);
      await vscode.window.showTextDocument(uri);
      const summary = await vscode.commands.executeCommand<{ files: number; errors: number; warnings: number }>('orchestrate.workflow.validate');
      assert.deepEqual(summary, { files: 1, errors: 7, warnings: 0 });
    });

    it('leaves other YAML files alone', async () => {
      const uri = await fixtures.write('it-other.yaml', BROKEN);
      const document = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(document);
      assert.equal(api.documents.isWorkflow(document), false);
      const position = positionOf(BROKEN, 'retrys');
      const items = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, position);
      assert.equal(items.items.filter((i) => i.label === 'retries').length, 0);
      assert.deepEqual(await codeLenses(uri), []);
      assert.deepEqual(vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'orchestrate'), []);
    });
  });

  describe('completion', () => {
    async function complete(marked: string): Promise<string[]> {
      const { text, line, character } = withCursor(marked);
      const uri = await fixtures.write(`it-complete-${Math.random().toString(36).slice(2, 8)}.workflow.yaml`, text);
      await vscode.window.showTextDocument(uri);
      const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, new vscode.Position(line, character));
      return list.items.map((item) => (typeof item.label === 'string' ? item.label : item.label.label));
    }

    it('completes the keys of a step from the schema', async () => {
      const labels = await complete(CLEAN.replace('  - id: done\n', '  - id: done\n    ¦\n'));
      for (const key of ['if', 'next', 'retries', 'timeout', 'description']) assert.ok(labels.includes(key), `no ${key} in ${labels.join(', ')}`);
      assert.ok(!labels.includes('id') && !labels.includes('prompt'), 'keys present, and other kinds, are not offered');
    });

    it('completes enum values', async () => {
      const labels = await complete(CLEAN.replace('    default: rockets\n', '    default: rockets\n    type: ¦\n'));
      assert.deepEqual([...labels].sort(), ['array', 'boolean', 'number', 'object', 'string']);
    });

    it('completes `{{ steps.` with the ids of steps that can have run, and the step itself (its previous visit)', async () => {
      const labels = await complete(CLEAN.replace('using {{ steps.market.output }}', 'using {{ steps.¦ }}'));
      assert.deepEqual(labels, ['classify', 'research', 'market', 'risks', 'draft']);
    });

    it('completes `steps.x.output.` with the fields of x\'s output schema', async () => {
      const labels = await complete(CLEAN.replace('using {{ steps.market.output }}', 'using {{ steps.classify.output.¦ }}'));
      assert.deepEqual(labels, ['category', 'summary']);
    });

    it('completes transition targets', async () => {
      const labels = await complete(CLEAN.replace('    mock: A fine draft.\n', '    mock: A fine draft.\n    next: ¦\n'));
      assert.deepEqual(labels, ['classify', 'research', 'draft', 'done', 'end', 'fail']);
    });
  });

  describe('navigation', () => {
    let uri: vscode.Uri;
    before(async () => {
      uri = await fixtures.write('it-navigate.workflow.yaml', CLEAN);
      await vscode.window.showTextDocument(uri);
    });

    it('hovers keys with the schema\'s description, and step references with the step', async () => {
      const onKey = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, positionOf(CLEAN, 'parallel:', 2));
      const keyText = onKey.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
      assert.match(keyText, /Parallel step/);
      const onRef = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, positionOf(CLEAN, 'steps.market', 8));
      const refText = onRef.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
      assert.match(refText, /step `market`/);
      assert.match(refText, /Market for/);
    });

    it('goes to the definition of a step id', async () => {
      const locations = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>('vscode.executeDefinitionProvider', uri, positionOf(CLEAN, 'steps.market', 8));
      assert.equal(locations.length, 1);
      const range = 'targetRange' in locations[0] ? locations[0].targetRange : locations[0].range;
      assert.deepEqual(range.start, positionOf(CLEAN, 'id: market', 4));
    });

    it('finds references and renames a step everywhere', async () => {
      const references = await vscode.commands.executeCommand<vscode.Location[]>('vscode.executeReferenceProvider', uri, positionOf(CLEAN, 'id: classify', 5));
      assert.equal(references.length, 3, 'the id and two templates');
      const edit = await vscode.commands.executeCommand<vscode.WorkspaceEdit>('vscode.executeDocumentRenameProvider', uri, positionOf(CLEAN, 'id: classify', 5), 'triage');
      assert.equal(edit.get(uri).length, 3);
      assert.ok(await vscode.workspace.applyEdit(edit));
      const document = await vscode.workspace.openTextDocument(uri);
      assert.ok(!document.getText().includes('classify'));
      assert.equal((document.getText().match(/triage/g) ?? []).length, 3);
      await diagnosticsWhen(uri, (d) => d.length === 0, 'no problems after the rename');
    });

    it('outlines the steps, with parallel branches as children', async () => {
      const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', uri);
      assert.deepEqual(symbols.map((s) => s.name), ['triage', 'research', 'draft', 'done']);
      assert.deepEqual(symbols[1].children.map((s) => s.name), ['market', 'risks']);
    });
  });

  describe('CodeLens and runs', () => {
    let uri: vscode.Uri;
    before(async () => {
      uri = await fixtures.write('it-run.workflow.yaml', CLEAN);
      await vscode.window.showTextDocument(uri);
    });

    it('shows Run workflow and Step through above the workflow, and step lenses above each step', async () => {
      const lenses = await codeLenses(uri);
      const titles = lenses.map((l) => l.command?.title);
      const top = lenses.filter((l) => l.range.start.line === 0).map((l) => l.command?.title);
      assert.deepEqual(top, ['$(play) Run workflow', '$(debug-step-over) Step through']);
      assert.equal(titles.filter((t) => t === '$(play) Run step').length, 4, 'one per top-level step');
      assert.equal(titles.filter((t) => t === 'Run to here').length, 4);
      assert.equal(titles.filter((t) => t === 'Run from here').length, 4);
      const runStep = lenses.find((l) => l.command?.title === '$(play) Run step' && l.range.start.line === positionOf(CLEAN, 'id: draft').line);
      assert.equal(runStep?.command?.command, 'orchestrate.step.run');
      assert.equal(String(runStep?.command?.arguments?.[0]), String(uri));
      assert.equal(runStep?.command?.arguments?.[1], 'draft');
      await screenshot('editor-codelens', '.codelens-decoration');
    });

    it('gives the lenses of a 2,000-step file from its cached analysis', async () => {
      const lines = ['name: Big', 'steps:', '  - id: s0', '    prompt: start'];
      for (let i = 1; i < 2000; i++) lines.push(`  - id: s${i}`, `    prompt: "after {{ steps.s${i - 1}.output }}"`);
      const big = await fixtures.write('it-big.workflow.yaml', lines.join('\n') + '\n');
      const document = await vscode.workspace.openTextDocument(big);
      api.codeLenses.provideCodeLenses(document);
      // Later calls are what every refresh during a run costs: the analysis is cached.
      const samples: number[] = [];
      let lenses: vscode.CodeLens[] = [];
      for (let i = 0; i < 7; i++) {
        const started = performance.now();
        lenses = api.codeLenses.provideCodeLenses(document);
        samples.push(performance.now() - started);
      }
      const median = [...samples].sort((a, b) => a - b)[3];
      console.log(`[orchestrate-tests] codelens of 2000 steps (cached analysis, adapter included): ${median.toFixed(1)} ms for ${lenses.length} lenses (samples ${samples.map((n) => n.toFixed(1)).join(', ')})`);
      assert.equal(lenses.length, 2 + 3 * 2000);
    });

    it('runs the workflow from its CodeLens on the mock provider, records a trace and shows each step\'s status', async () => {
      const lens = (await codeLenses(uri)).find((l) => l.command?.title === '$(play) Run workflow');
      assert.ok(lens?.command);
      const started = waitForEvent(api.runs.onDidStartRun, (s) => s.workflowFile.toString() === uri.toString(), 'the run to start');
      await vscode.commands.executeCommand(lens.command.command, ...(lens.command.arguments ?? []));
      const session = await started;
      const result = await session.result;
      assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
      assert.equal(result.outputs.result, 'A fine draft.');
      assert.ok(session.traceFile, 'the run has a trace file');
      const trace = fs.readFileSync(session.traceFile.fsPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as RunEvent);
      assert.equal(trace[0].type, 'run.started');
      assert.equal(trace.at(-1)?.type, 'run.completed');

      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, positionOf(CLEAN, 'steps.market', 8));
      const hoverText = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
      assert.match(hoverText, /Last output[\s\S]*big market/, 'the hover shows the step\'s last output');

      const statuses = await lensesWhen(uri, (titles) => titles.filter((t) => t.startsWith('✓ succeeded')).length === 6, 'a ✓ succeeded lens per step');
      assert.ok(statuses.includes('$(play) Run workflow'), 'the run lenses are back once the run ended');
      await screenshot('editor-codelens-after-run', '.codelens-decoration:has-text("succeeded")');
    });

    it('runs one step alone from its lens, reusing the upstream results of the last run', async () => {
      const lens = (await codeLenses(uri)).find((l) => l.command?.command === 'orchestrate.step.run' && l.command.arguments?.[1] === 'draft');
      assert.ok(lens?.command);
      const started = waitForEvent(api.runs.onDidStartRun, (s) => s.workflowFile.toString() === uri.toString(), 'the step run to start');
      await vscode.commands.executeCommand(lens.command.command, ...(lens.command.arguments ?? []));
      const session = await started;
      const result = await session.result;
      assert.equal(result.status, 'succeeded');
      const ran = session.events.filter((e): e is Extract<RunEvent, { type: 'step.started' }> => e.type === 'step.started').map((e) => e.stepId);
      assert.deepEqual(ran, ['draft'], 'only the step itself ran');
      const started0 = session.events[0];
      assert.ok(started0.type === 'run.started' && started0.startAt === 'draft' && started0.stopAfter === 'draft');
    });

    // The Step through lens starts the debugger now (debug.test.ts); a run paused between steps keeps its own lenses.
    it('pauses a run between steps with the lenses, then resumes it', async () => {
      const started = waitForEvent(api.runs.onDidStartRun, () => true, 'the step-through run');
      void api.runs.start(uri, 'step-through');
      const session = await started;
      await eventOf(session, (e) => e.type === 'run.paused' && e.nextStepId === 'classify', 'a pause before classify');
      const paused = await lensesWhen(uri, (titles) => titles.includes('$(debug-step-over) Next step'), 'the Next step lens');
      assert.ok(paused.includes('$(debug-pause) paused before this step'));
      const next = (await codeLenses(uri)).find((l) => l.command?.title === '$(debug-step-over) Next step');
      await vscode.commands.executeCommand(next!.command!.command, ...(next!.command!.arguments ?? []));
      await eventOf(session, (e) => e.type === 'run.paused' && e.nextStepId === 'research', 'a pause before research');
      await vscode.commands.executeCommand('orchestrate.run.resume', uri);
      assert.equal((await session.result).status, 'succeeded');
    });

    it('stops a run', async () => {
      await vscode.workspace.getConfiguration('orchestrate').update('mockDelayMs', 5000, vscode.ConfigurationTarget.Workspace);
      try {
        const started = waitForEvent(api.runs.onDidStartRun, () => true, 'the run to stop');
        void vscode.commands.executeCommand('orchestrate.workflow.run', uri);
        const session = await started;
        await eventOf(session, (e) => e.type === 'step.started', 'a step to start');
        await vscode.commands.executeCommand('orchestrate.run.stop');
        const result = await session.result;
        assert.equal(result.status, 'cancelled');
        await lensesWhen(uri, (titles) => titles.some((t) => t.startsWith('cancelled')), 'a cancelled lens');
      } finally {
        await vscode.workspace.getConfiguration('orchestrate').update('mockDelayMs', undefined, vscode.ConfigurationTarget.Workspace);
      }
    });

    it('resumes the stopped run from its trace', async () => {
      const stopped = [...api.runs.sessionsFor(uri)].reverse().find((s) => s.events.at(-1)?.type === 'run.cancelled');
      assert.ok(stopped?.traceFile, 'the stopped run was recorded');
      const started = waitForEvent(api.runs.onDidStartRun, () => true, 'the resumed run');
      await vscode.commands.executeCommand('orchestrate.workflow.resume', uri);
      const session = await started;
      assert.equal(session.mode, 'resume');
      const first = session.events[0];
      assert.ok(first.type === 'run.started' && first.resumedFrom === stopped.runId, 'the new run names the one it continues');
      assert.equal((await session.result).status, 'succeeded');
    });
  });
});

const ASKING = `name: Asking
inputs:
  who:
    description: Who is asking?
    required: true
steps:
  - id: pick
    input: "Hello {{ inputs.who }}, which one?"
    choices: [red, green]
  - id: say
    set: "{{ inputs.who }} picked {{ steps.pick.output }}"
outputs:
  said: "{{ steps.say.output }}"
`;

describe('inputs and questions', function () {
  this.timeout(60_000);
  const fixtures = new Fixtures();
  after(() => fixtures.cleanup());

  /** Starts a run of `uri` with the command, answers the `pick` quick pick with its first item. */
  async function runAnswering(api: OrchestrateApi, uri: vscode.Uri, options?: object): Promise<RunSession> {
    const started = waitForEvent(api.runs.onDidStartRun, (s) => s.workflowFile.toString() === uri.toString(), 'the run to start (an input box would stop it)');
    void vscode.commands.executeCommand('orchestrate.workflow.run', uri, options);
    const session = await started;
    await eventOf(session, (e) => e.type === 'step.started' && e.stepId === 'pick', 'the input step');
    // The quick pick opens once the step asks; accepting before it is there does nothing.
    const answered = () => session.events.some((e) => e.type === 'step.completed' && e.stepId === 'pick');
    const deadline = Date.now() + 20_000;
    while (!answered()) {
      if (Date.now() > deadline) throw new Error('the input step was never answered');
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await Promise.race([eventOf(session, (e) => e.type === 'step.completed' && e.stepId === 'pick', 'the answer'), new Promise((resolve) => setTimeout(resolve, 200))]);
    }
    return session;
  }

  it('asks an input step\'s question with a quick pick of its choices', async () => {
    const api = await activateApi();
    const uri = await fixtures.write('it-asking.workflow.yaml', ASKING);
    const session = await runAnswering(api, uri, { inputs: { who: 'Ada' } });
    const result = await session.result;
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.equal(result.outputs.said, 'Ada picked red');
  });

  it('creates a workflow from an example, next to the ones already there', async () => {
    await activateApi();
    const created = vscode.commands.executeCommand<vscode.Uri | undefined>('orchestrate.workflow.newFromExample');
    let uri: vscode.Uri | undefined;
    void created.then((value) => (uri = value));
    // Accept the quick pick's first example once it is open (it has no event to wait on).
    const deadline = Date.now() + 20_000;
    while (!uri) {
      if (Date.now() > deadline) throw new Error('the example picker was never answered');
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await Promise.race([created, new Promise((resolve) => setTimeout(resolve, 200))]);
    }
    const file = uri as vscode.Uri;
    fixtures.track(file);
    assert.match(file.path, /-2\.workflow\.yaml$/, 'the workspace already has that example, so the copy gets a new name');
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), file.toString());
    const errors = await diagnosticsWhen(file, () => true, 'the diagnostics of the new file');
    assert.deepEqual(errors.filter((d) => d.severity === vscode.DiagnosticSeverity.Error), []);
  });

  it('remembers the inputs of a workflow for its next run', async () => {
    const api = await activateApi();
    const uri = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'it-asking.workflow.yaml');
    const session = await runAnswering(api, uri);
    const started = session.events[0];
    assert.ok(started.type === 'run.started');
    assert.deepEqual(started.inputs, { who: 'Ada' });
    assert.equal((await session.result).outputs.said, 'Ada picked red');
  });
});

/** The lens titles once `predicate` holds; lenses refresh as run events arrive. */
async function lensesWhen(uri: vscode.Uri, predicate: (titles: string[]) => boolean, what: string): Promise<string[]> {
  const api = vscode.extensions.getExtension<OrchestrateApi>('orchestrate.orchestrate')!.exports;
  const deadline = Date.now() + 20_000;
  for (;;) {
    // Listen before looking, so a refresh between the two is not missed.
    const changed = waitForEvent(api.codeLenses.onDidChangeCodeLenses, () => true, what, Math.max(1, deadline - Date.now())).catch(() => undefined);
    const titles = (await codeLenses(uri)).map((l) => l.command?.title ?? '');
    if (predicate(titles)) return titles;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; lenses: ${titles.join(' | ')}`);
    await changed;
  }
}

/** Resolves with the session's first event (past or future) matching `predicate`. */
function eventOf(session: RunSession, predicate: (event: RunEvent) => boolean, what: string): Promise<RunEvent> {
  const past = session.events.find(predicate);
  if (past) return Promise.resolve(past);
  return waitForEvent(session.onEvent, predicate, what);
}
