/** How the panel shows an execution the debugger holds: VS Code's current-frame arrow and where it stopped. */
import { html, type TemplateResult } from 'lit';
import type { HeldExecution } from '../../src/engine/state/run-state';
import type { HoldPoint } from '../../src/engine/types';

const WHERE: Record<HoldPoint, string> = {
  step: 'before this step',
  call: 'before its model call',
  failed: 'after it failed',
  retry: 'before a retry',
  check: 'after a failed check',
};

export function heldLabel(held: HeldExecution): string {
  const item = held.index !== undefined ? ` (item ${held.index + 1})` : '';
  return `paused in debugger ${WHERE[held.at]}${item}`;
}

export function heldMarker(held: HeldExecution): TemplateResult {
  return html`<span class="debug-held-marker" title=${heldLabel(held)}
    ><span class="codicon codicon-debug-stackframe" aria-hidden="true"></span> <span class="debug-held-label">${heldLabel(held)}</span></span
  >`;
}
