/**
 * The messages between the run panel's host (src/extension/panel) and its webview
 * (webview/), declared once and imported by both (docs/architecture.md, rule 8; the
 * shape follows GitLens' ipc models):
 *
 * - notifications, host → webview: {@link Notifications};
 * - commands, webview → host, fire and forget: {@link Commands};
 * - requests, webview → host, each with an `id` answered by exactly one
 *   response carrying the result or an error: {@link Requests}.
 *
 * The host posts nothing before the webview's `ready` command, and answers every
 * `ready` with the whole picture again (a webview reloaded when it was hidden has
 * lost everything but its `setState`). Messages from the webview are checked with
 * {@link parseWebviewMessage} before the host acts on them: the webview renders
 * model output, so it is treated as untrusted input.
 */
import { isHttpUrl } from '../engine/guards';
import type { RunEvent } from '../engine/types';
import type { EvalGridParams, EvalRowsParams } from './eval-grid';
import type { WorkflowOutline } from './workflow-outline';

export const PANEL_VIEW_TYPE = 'orchestrate.runPanel';

/** What the panel shows, by reference: enough to show it again after a reload, never the data itself. */
export type PanelSource =
  | { kind: 'session'; runId: string; traceFile?: string }
  | { kind: 'trace'; traceFile: string }
  | { kind: 'compare'; left: string; right: string }
  /** An eval's results grid: held by the host while the window lives. */
  | { kind: 'eval'; id: string };

/** About the run shown, beside its events. */
export interface RunHeader {
  runId: string;
  source: PanelSource;
  /** `run`, `step-through`, `run-from-here`, … for a live session. */
  mode?: string;
  /** The run is going on in this window: its events keep coming and it can be paused or stopped. */
  live: boolean;
  /** Re-run from a step is possible (the workflow file exists). */
  canRerun: boolean;
  traceFile?: string;
  /** Things worth telling about the trace (a cut-short last line, a workflow edited since). */
  warnings: string[];
}

export interface ShowRunParams {
  header: RunHeader;
  outline: WorkflowOutline;
  /** Every event so far, deltas coalesced. */
  events: RunEvent[];
  /** The trace ends without an end event and no process is writing it. */
  interrupted?: boolean;
  /** The run was opened from an eval's results grid: the panel offers the way back. */
  fromEval?: { id: string; title: string };
}

export interface RunEventsParams {
  runId: string;
  events: RunEvent[];
}

export interface CompareSide {
  header: RunHeader;
  outline: WorkflowOutline;
  events: RunEvent[];
  interrupted?: boolean;
}

export interface ShowCompareParams {
  left: CompareSide;
  right: CompareSide;
}

export interface ShowEmptyParams {
  message: string;
}

export interface SelectStepParams {
  stepId: string;
}

/** Host → webview. */
export interface Notifications {
  /** Replace whatever is shown with this run. */
  'run/show': ShowRunParams;
  /** More events of the run shown (batched: at most one post per frame). */
  'run/events': RunEventsParams;
  /** Show two runs side by side, step by step. */
  'compare/show': ShowCompareParams;
  /** Nothing to show (no run yet, or the run's trace is gone). */
  'panel/empty': ShowEmptyParams;
  /** Select a step (the editor asked for it). */
  'step/select': SelectStepParams;
  /** Show an eval's results grid (the rows so far). */
  'eval/show': EvalGridParams;
  /** More rows of the eval shown. */
  'eval/rows': EvalRowsParams;
}

export type ControlAction = 'pause' | 'resume' | 'step' | 'stop';
export const CONTROL_ACTIONS: readonly ControlAction[] = ['pause', 'resume', 'step', 'stop'];

/** Webview → host, no reply. */
export interface Commands {
  /** The webview's script runs and listens: the host may post now. */
  ready: Record<string, never>;
  /** Show the step's `id:` in the workflow file. */
  'step/reveal': { stepId: string };
  /** A link in model output was activated; the host opens http(s) links only. */
  'link/open': { href: string };
  /** Something failed in the webview; the host logs it. */
  'webview/error': { message: string };
  /** A step row was dragged onto another: move `stepId` in the workflow file to where `toStepId` is (one undoable edit). */
  'step/move': { stepId: string; toStepId: string };
  /** Open a case run of the eval shown (its row's key) in the panel. */
  'eval/open': { id: string; key: string };
  /** Show the eval's results grid again, from a run opened from it. */
  'eval/back': { id: string };
}

/** Webview → host, answered by one response each. */
export interface Requests {
  'run/control': { params: { runId: string; action: ControlAction }; result: { accepted: boolean } };
  /** Runs the workflow again from `stepId` (`run-from-here`), reusing upstream results. */
  'run/rerun': { params: { runId: string; stepId: string }; result: { runId?: string } };
  'clipboard/write': { params: { text: string }; result: Record<string, never> };
}

export type NotificationMethod = keyof Notifications;
export type CommandMethod = keyof Commands;
export type RequestMethod = keyof Requests;

export type NotificationMessage<M extends NotificationMethod = NotificationMethod> = M extends NotificationMethod
  ? { type: 'notification'; method: M; params: Notifications[M] }
  : never;
export type CommandMessage<M extends CommandMethod = CommandMethod> = M extends CommandMethod ? { type: 'command'; method: M; params: Commands[M] } : never;
export type RequestMessage<M extends RequestMethod = RequestMethod> = M extends RequestMethod
  ? { type: 'request'; id: number; method: M; params: Requests[M]['params'] }
  : never;
export type ResponseMessage<M extends RequestMethod = RequestMethod> = M extends RequestMethod
  ? { type: 'response'; id: number; method: M; ok: true; result: Requests[M]['result'] } | { type: 'response'; id: number; method: M; ok: false; error: string }
  : never;

export type HostToWebview = NotificationMessage | ResponseMessage;
export type WebviewToHost = CommandMessage | RequestMessage;

export function notification<M extends NotificationMethod>(method: M, params: Notifications[M]): NotificationMessage<M> {
  return { type: 'notification', method, params } as NotificationMessage<M>;
}

export function command<M extends CommandMethod>(method: M, params: Commands[M]): CommandMessage<M> {
  return { type: 'command', method, params } as CommandMessage<M>;
}

export function request<M extends RequestMethod>(id: number, method: M, params: Requests[M]['params']): RequestMessage<M> {
  return { type: 'request', id, method, params } as RequestMessage<M>;
}

export function reply<M extends RequestMethod>(req: RequestMessage<M>, result: Requests[M]['result']): ResponseMessage<M> {
  return { type: 'response', id: req.id, method: req.method, ok: true, result } as ResponseMessage<M>;
}

export function replyError<M extends RequestMethod>(req: RequestMessage<M>, error: string): ResponseMessage<M> {
  return { type: 'response', id: req.id, method: req.method, ok: false, error } as ResponseMessage<M>;
}

// ─── UI state the webview keeps with setState ─────────────────────────────────

export type DetailTab = 'output' | 'prompt' | 'call' | 'errors';
export const DETAIL_TABS: readonly DetailTab[] = ['output', 'prompt', 'call', 'errors'];

/** Only UI state (rule 8): what is selected, scrolled and expanded, and what was shown, by reference. */
export interface PanelUiState {
  source?: PanelSource;
  selectedStepId?: string;
  /** The visit shown for a step entered more than once; the latest when absent. */
  selectedVisit?: number;
  tab?: DetailTab;
  /** Show outputs as raw text instead of rendered markdown / a JSON tree. */
  raw?: boolean;
  /** Keys of expanded sections (JSON tree nodes, map items). */
  expanded?: string[];
  listScroll?: number;
  detailScroll?: number;
  graphHidden?: boolean;
}

// ─── Validation of what the webview sends ────────────────────────────────────

type Checker = (params: Record<string, unknown>) => boolean;

const isString = (value: unknown): value is string => typeof value === 'string';
const MAX_TEXT = 10_000_000;

const COMMAND_PARAMS: { [M in CommandMethod]: Checker } = {
  ready: () => true,
  'step/reveal': (p) => isString(p.stepId),
  'link/open': (p) => isString(p.href) && p.href.length <= 8192,
  'webview/error': (p) => isString(p.message),
  'step/move': (p) => isString(p.stepId) && isString(p.toStepId),
  'eval/open': (p) => isString(p.id) && isString(p.key) && p.key.length <= 100_000,
  'eval/back': (p) => isString(p.id),
};

const REQUEST_PARAMS: { [M in RequestMethod]: Checker } = {
  'run/control': (p) => isString(p.runId) && (CONTROL_ACTIONS as readonly unknown[]).includes(p.action),
  'run/rerun': (p) => isString(p.runId) && isString(p.stepId),
  'clipboard/write': (p) => isString(p.text) && p.text.length <= MAX_TEXT,
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasOwn<T extends object>(table: T, key: string): key is Extract<keyof T, string> {
  return Object.prototype.hasOwnProperty.call(table, key);
}

/** The message if it is a well-formed command or request, else `undefined`. */
export function parseWebviewMessage(value: unknown): WebviewToHost | undefined {
  if (!isRecord(value) || !isString(value.method) || !isRecord(value.params)) return undefined;
  if (value.type === 'command' && hasOwn(COMMAND_PARAMS, value.method)) {
    return COMMAND_PARAMS[value.method](value.params) ? (value as unknown as CommandMessage) : undefined;
  }
  if (value.type === 'request' && hasOwn(REQUEST_PARAMS, value.method)) {
    if (typeof value.id !== 'number' || !Number.isSafeInteger(value.id)) return undefined;
    return REQUEST_PARAMS[value.method](value.params) ? (value as unknown as RequestMessage) : undefined;
  }
  return undefined;
}

const NOTIFICATION_METHODS: { [M in NotificationMethod]: true } = {
  'run/show': true,
  'run/events': true,
  'compare/show': true,
  'panel/empty': true,
  'step/select': true,
  'eval/show': true,
  'eval/rows': true,
};

/** The message if it is one the host sends (the webview's window gets messages from elsewhere too). */
export function parseHostMessage(value: unknown): HostToWebview | undefined {
  if (!isRecord(value) || !isString(value.method)) return undefined;
  if (value.type === 'notification' && hasOwn(NOTIFICATION_METHODS, value.method) && isRecord(value.params)) return value as unknown as NotificationMessage;
  if (value.type === 'response' && hasOwn(REQUEST_PARAMS, value.method) && typeof value.id === 'number' && typeof value.ok === 'boolean') {
    return value as unknown as ResponseMessage;
  }
  return undefined;
}

function isSource(value: unknown): value is PanelSource {
  if (!isRecord(value)) return false;
  switch (value.kind) {
    case 'session':
      return isString(value.runId) && (value.traceFile === undefined || isString(value.traceFile));
    case 'trace':
      return isString(value.traceFile);
    case 'compare':
      return isString(value.left) && isString(value.right);
    case 'eval':
      return isString(value.id);
    default:
      return false;
  }
}

/**
 * The UI state a serializer got back from the webview, keeping only well-formed
 * fields: the state is the webview's to write and outlives versions of the extension.
 */
export function parseUiState(value: unknown): PanelUiState {
  const state: PanelUiState = {};
  if (!isRecord(value)) return state;
  if (isSource(value.source)) state.source = value.source;
  if (isString(value.selectedStepId)) state.selectedStepId = value.selectedStepId;
  if (typeof value.selectedVisit === 'number' && Number.isInteger(value.selectedVisit)) state.selectedVisit = value.selectedVisit;
  if ((DETAIL_TABS as readonly unknown[]).includes(value.tab)) state.tab = value.tab as DetailTab;
  if (typeof value.raw === 'boolean') state.raw = value.raw;
  if (Array.isArray(value.expanded)) state.expanded = value.expanded.filter(isString).slice(0, 1000);
  if (typeof value.listScroll === 'number' && Number.isFinite(value.listScroll)) state.listScroll = value.listScroll;
  if (typeof value.detailScroll === 'number' && Number.isFinite(value.detailScroll)) state.detailScroll = value.detailScroll;
  if (typeof value.graphHidden === 'boolean') state.graphHidden = value.graphHidden;
  return state;
}

/** Only http(s) links leave the panel; everything else (javascript:, file:, command:, data:) stays inert. */
export const isOpenableLink: (href: string) => boolean = isHttpUrl;
