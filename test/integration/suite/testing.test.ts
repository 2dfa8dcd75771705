// The Test Explorer: a workflow's `tests:` listed at their lines, one case run as the
// gutter runs it, and its failure shown at the expectation's line with expected/actual.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateApi, Fixtures } from './editor-helpers';

const WORKFLOW = `name: Tested
steps:
  - id: answer
    prompt: Say hello
    mock: hello there
outputs:
  reply: "{{ steps.answer.output }}"
tests:
  - name: says hello
    expect:
      - contains: hello
        output: reply
  - name: says goodbye
    expect:
      - equals: goodbye
        output: reply
`;

describe('Test Explorer', () => {
  const fixtures = new Fixtures();
  after(() => fixtures.cleanup());

  it('lists the cases at their lines, runs one, and shows its failure at the expectation', async () => {
    const api = await activateApi();
    const uri = await fixtures.write('tested.workflow.yaml', WORKFLOW);
    await api.testing.refresh(uri);
    const file = api.testing.controller.items.get(uri.toString());
    assert.ok(file, 'the workflow is in the Test Explorer');
    const cases: vscode.TestItem[] = [];
    file.children.forEach((item) => cases.push(item));
    assert.deepEqual(cases.map((c) => [c.label, c.range?.start.line]), [['says hello', 8], ['says goodbye', 12]]);

    await api.testing.run([cases[0]]);
    assert.equal(api.testing.outcomes.get(cases[0].id)?.passed, true);
    assert.ok(api.testing.traces.get(cases[0].id), 'the case links to its trace');

    await api.testing.run([cases[1]]);
    const failed = api.testing.outcomes.get(cases[1].id);
    assert.equal(failed?.passed, false);
    const [message] = failed!.messages;
    assert.equal(message.location?.range.start.line, 14, 'at the `equals:` line');
    assert.equal(message.expectedOutput, 'goodbye');
    assert.equal(message.actualOutput, 'hello there');
    assert.match(String(message.message), /output reply is "hello there", expected "goodbye"/);
  });

  it('shows a run of two cases or more as a results grid in the run panel', async () => {
    const api = await activateApi();
    const uri = await fixtures.write('grid.workflow.yaml', WORKFLOW.replace('name: Tested', 'name: Grid'));
    await api.testing.refresh(uri);
    const file = api.testing.controller.items.get(uri.toString());
    assert.ok(file);
    const shown = panelTab('Results: Tests of grid.workflow.yaml');
    await api.testing.run([file]);
    assert.ok(await shown, 'the panel shows the grid');
  });
});

/** Resolves once a tab with this label is open (the run panel's title says what it shows). */
function panelTab(label: string): Promise<vscode.Tab> {
  const find = () => vscode.window.tabGroups.all.flatMap((group) => group.tabs).find((tab) => tab.label === label);
  return new Promise((resolve) => {
    const found = find();
    if (found) return resolve(found);
    const listener = vscode.window.tabGroups.onDidChangeTabs(() => {
      const tab = find();
      if (!tab) return;
      listener.dispose();
      resolve(tab);
    });
  });
}
