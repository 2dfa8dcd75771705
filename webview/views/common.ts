/** Small pieces every view of the panel uses: status icons and labels, copy buttons. */
import { html, type TemplateResult } from 'lit';
import type { ExecutionStatus, RunStatus, StepStatus } from '../../src/shared/run-view-model';

const STEP_ICONS: Record<StepStatus, string> = {
  pending: 'circle-large-outline',
  running: 'loading',
  succeeded: 'pass',
  skipped: 'circle-slash',
  failed: 'error',
  retrying: 'sync',
  cancelled: 'debug-stop',
  paused: 'debug-pause',
};

const STEP_LABELS: Record<StepStatus, string> = {
  pending: 'pending',
  running: 'running',
  succeeded: 'succeeded',
  skipped: 'skipped',
  failed: 'failed',
  retrying: 'retrying',
  cancelled: 'cancelled',
  paused: 'paused before this step',
};

const RUN_ICONS: Record<RunStatus, string> = {
  idle: 'circle-large-outline',
  running: 'loading',
  paused: 'debug-pause',
  succeeded: 'pass',
  failed: 'error',
  cancelled: 'circle-slash',
  interrupted: 'warning',
};

export function stepStatusLabel(status: StepStatus | ExecutionStatus): string {
  return STEP_LABELS[status];
}

/** A status icon; colour comes from the `status-*` class (panel.css), the label from aria. */
export function statusIcon(status: StepStatus | ExecutionStatus): TemplateResult {
  const spin = status === 'running' || status === 'retrying';
  return html`<span class="codicon codicon-${STEP_ICONS[status]} status-icon status-${status} ${spin ? 'codicon-modifier-spin' : ''}" role="img" aria-label=${STEP_LABELS[status]}></span>`;
}

export function runStatusIcon(status: RunStatus): TemplateResult {
  const spin = status === 'running';
  return html`<span class="codicon codicon-${RUN_ICONS[status]} status-icon run-status-${status} ${spin ? 'codicon-modifier-spin' : ''}" aria-hidden="true"></span>`;
}

/** An icon-only button that copies `text` (through the host: the clipboard API is not always there in a webview). */
export function copyButton(label: string, text: () => string, onCopy: (text: string) => void): TemplateResult {
  return html`<vscode-toolbar-button class="copy" icon="copy" label=${label} title=${label} @click=${() => onCopy(text())}></vscode-toolbar-button>`;
}
