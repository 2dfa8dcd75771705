/** The panel's drag and drop: the `step/move` message the webview posts, as the host accepts it. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { command, parseWebviewMessage } from '../../../src/shared/protocol';

describe('step/move', () => {
  test('a well-formed move is accepted as is, through a JSON round trip', () => {
    const message = command('step/move', { stepId: 'review', toStepId: 'draft' });
    assert.deepEqual(parseWebviewMessage(JSON.parse(JSON.stringify(message))), message);
  });

  test('a move with a missing or non-text id is dropped', () => {
    for (const params of [{ stepId: 'a' }, { toStepId: 'b' }, { stepId: 1, toStepId: 'b' }, { stepId: 'a', toStepId: ['b'] }, {}]) {
      assert.equal(parseWebviewMessage({ type: 'command', method: 'step/move', params }), undefined, JSON.stringify(params));
    }
  });
});
