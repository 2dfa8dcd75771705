/**
 * The Run/Debug lenses: *Step through* starts VS Code's debugger stopped before the
 * first step; a step the debugger holds shows it; a run the debugger holds offers the
 * controls that act through the debugger; Restricted Mode offers nothing that runs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { HeldExecution } from '../../../src/engine/state';
import type { HoldPoint } from '../../../src/engine/types';
import { COMMANDS, computeLenses, type LensState } from '../../../src/extension/language/lenses';
import { parseWorkflow } from '../../../src/extension/language/parsed';
import type { RunStatus, StepStatus } from '../../../src/extension/language/status';
import { dedent } from '../../support/engine';

const TEXT = dedent(`
  name: Lenses
  steps:
    - id: draft
      prompt: Write
    - id: fork
      parallel:
        - id: left
          set: L
        - id: constructor
          set: R
    - id: sub
      uses: child.workflow.yaml
    - id: done
      set: x
`);
const model = parseWorkflow(TEXT, '/tmp/lenses.workflow.yaml');
const offsetOf = (id: string) => model.workflow!.stepsById.get(id)!.range.offset;
const hold = (stepId: string, at: HoldPoint = 'step'): HeldExecution => ({ stepId, visit: 1, key: `${stepId}#1#`, at, since: 0 });
const titlesAt = (state: LensState, offset: number) => computeLenses(model, state).filter((l) => l.offset === offset).map((l) => l.title);

describe('the Run/Debug lenses', () => {
  test('Step through starts the debugger on the file, stopped before the first step', () => {
    const top = computeLenses(model, { trusted: true }).filter((l) => l.offset === model.nameOffset);
    assert.deepEqual(top.map((l) => [l.title, l.command, l.args]), [
      ['$(play) Run workflow', COMMANDS.runWorkflow, []],
      ['$(debug-step-over) Step through', 'orchestrate.workflow.debug', [{ stopOnEntry: true }]],
    ]);
  });

  test('the step the debugger holds says so, where it stopped, and steps over from there', () => {
    const status: RunStatus = { steps: new Map(), ended: false, held: [hold('draft', 'call')] };
    const active = { runId: 'r', paused: true };
    const lenses = computeLenses(model, { trusted: true, status, active });
    const at = lenses.filter((l) => l.offset === offsetOf('draft'));
    assert.deepEqual(at.map((l) => [l.title, l.command]), [['$(debug-stackframe) paused in debugger before its model call', 'workbench.action.debug.stepOver']]);
    // The run's controls above the workflow act on the held run (through the debugger).
    assert.deepEqual(titlesAt({ trusted: true, status, active }, model.nameOffset), ['$(debug-step-over) Next step', '$(debug-continue) Resume', '$(debug-stop) Stop']);
  });

  test('a branch shows its own hold; a sub-workflow’s step shows on its uses: step; ids like constructor are data', () => {
    const status: RunStatus = { steps: new Map(), ended: false, held: [hold('constructor'), hold('sub/inner', 'failed')] };
    const state = { trusted: true, status, active: { runId: 'r', paused: true } };
    assert.deepEqual(titlesAt(state, offsetOf('constructor')), ['$(debug-stackframe) paused in debugger before this step']);
    assert.deepEqual(titlesAt(state, offsetOf('sub')), ['$(debug-stackframe) paused in debugger after it failed']);
    assert.deepEqual(titlesAt(state, offsetOf('left')), []);
    assert.deepEqual(titlesAt(state, offsetOf('fork')), []);
  });

  test('in Restricted Mode only the lock and past statuses show, whatever the run state', () => {
    const stepStatus: fc.Arbitrary<StepStatus> = fc.record({ state: fc.constantFrom('running', 'succeeded', 'failed', 'skipped', 'cancelled' as const), runId: fc.constant('r') });
    const ids = ['draft', 'fork', 'left', 'constructor', 'sub', 'done'];
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...ids), stepStatus),
        fc.subarray(ids),
        fc.option(fc.constantFrom(...ids), { nil: undefined }),
        fc.option(fc.record({ runId: fc.constant('r'), paused: fc.boolean() }), { nil: undefined }),
        (steps, heldIds, pausedBefore, active) => {
          const status: RunStatus = { steps: new Map(Object.entries(steps)), ended: active === undefined, held: heldIds.map((id) => hold(id)), ...(pausedBefore ? { pausedBefore } : {}) };
          const lenses = computeLenses(model, { trusted: false, status, active });
          const commands = new Set(lenses.map((l) => l.command));
          for (const command of commands) assert.ok(command === COMMANDS.manageTrust || command === COMMANDS.showRun, `a ${command} lens in Restricted Mode`);
          assert.equal(lenses.filter((l) => l.command === COMMANDS.manageTrust).length, 1);
        },
      ),
    );
  });
});
