/** POST /v1/runs/{id}/resume: a served run continues as `orchestrate resume` continues a trace. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServer, type RunningServer } from '../../../src/serve/server';
import { api, readEvents, tempFolder, waitForEnd } from './helpers';

const flaky = (reply: string) => `name: flaky
inputs:
  topic: { type: string, required: true }
steps:
  - id: one
    prompt: "Write about {{ inputs.topic }}"
  - id: two
    prompt: "Polish: {{ steps.one.output }}"
    mock: ${reply}
outputs:
  text: "{{ steps.two.output }}"
`;

describe('serve: resuming a run', () => {
  let server: RunningServer;
  let folder: ReturnType<typeof tempFolder>;

  before(async () => {
    folder = tempFolder({ 'flaky.workflow.yaml': flaky('{ $error: "the model is down" }') });
    server = await startServer({ root: folder.dir, port: 0, mock: true, env: {}, log: () => undefined });
  });
  after(async () => {
    await server.close({ cancel: true });
    folder.remove();
  });

  test('a failed run resumes as a new run with its inputs: finished steps restored, the failed one run again', async () => {
    const created = await api<{ id: string }>(server.url, 'POST', '/v1/runs', { workflow: 'flaky.workflow.yaml', inputs: { topic: 'otters' } });
    const failed = await waitForEnd(server.url, created.body.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.steps.one.status, 'succeeded');

    writeFileSync(path.join(folder.dir, 'flaky.workflow.yaml'), flaky('polished'));
    const resumed = await api<{ id: string; resumedFrom: string }>(server.url, 'POST', `/v1/runs/${created.body.id}/resume`);
    assert.equal(resumed.status, 201);
    assert.notEqual(resumed.body.id, created.body.id);
    assert.equal(resumed.body.resumedFrom, created.body.id);
    assert.equal(resumed.headers.get('location'), `/v1/runs/${resumed.body.id}`);

    const state = await waitForEnd(server.url, resumed.body.id);
    assert.equal(state.status, 'succeeded');
    assert.equal(state.outputs?.text, 'polished');
    const events = (await readEvents(server.url, resumed.body.id)).map((event) => event.data);
    assert.equal(events[0].resumedFrom, created.body.id);
    assert.deepEqual(events[0].inputs, { topic: 'otters' });
    const completed = events.filter((event) => event.type === 'step.completed');
    assert.deepEqual(completed.map((event) => [event.stepId, event.restored === true]), [['one', true], ['two', false]]);
    // Only the step that had not finished asked the model again.
    assert.deepEqual(events.filter((event) => event.type === 'step.started').map((event) => event.stepId), ['two']);
  });

  test('a succeeded run, an unknown run and a running one are refused with stable codes', async () => {
    const created = await api<{ id: string }>(server.url, 'POST', '/v1/runs', { workflow: 'flaky.workflow.yaml', inputs: { topic: 'seals' } });
    await waitForEnd(server.url, created.body.id);
    const succeeded = await api<{ error: { code: string; message: string } }>(server.url, 'POST', `/v1/runs/${created.body.id}/resume`);
    assert.equal(succeeded.status, 409);
    assert.equal(succeeded.body.error.code, 'already-succeeded');
    const unknown = await api<{ error: { code: string } }>(server.url, 'POST', '/v1/runs/constructor/resume');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'run-not-found');

    const slow = await startServer({ root: folder.dir, port: 0, mock: true, mockDelayMs: 60_000, env: {}, log: () => undefined });
    try {
      const running = await api<{ id: string }>(slow.url, 'POST', '/v1/runs', { workflow: 'flaky.workflow.yaml', inputs: { topic: 'eels' } });
      const refused = await api<{ error: { code: string } }>(slow.url, 'POST', `/v1/runs/${running.body.id}/resume`);
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error.code, 'run-not-ended');
    } finally {
      await slow.close({ cancel: true });
    }
  });

  test('the OpenAPI description lists the resume route', async () => {
    const spec = await api<{ paths: Record<string, unknown> }>(server.url, 'GET', '/openapi.json');
    assert.ok(spec.body.paths['/v1/runs/{id}/resume']);
  });
});
