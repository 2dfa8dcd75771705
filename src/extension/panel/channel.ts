/**
 * The host's end of the panel protocol (src/shared/protocol.ts), after the
 * pull-request extension's webview base: nothing is posted before the webview's
 * `ready`; each `ready` (the first, and one after every reload of a hidden
 * webview) is handed to `onReady`, which sends the whole picture again. Incoming
 * messages are validated before any handler sees them, and every request gets
 * exactly one response, with the handler's result or its error.
 *
 * Written against a small port rather than `vscode.Webview`, so it is tested
 * without VS Code.
 */
import {
  notification,
  parseWebviewMessage,
  reply,
  replyError,
  type CommandMessage,
  type NotificationMethod,
  type Notifications,
  type RequestMessage,
  type RequestMethod,
  type Requests,
} from '../../shared/protocol';

export interface Disposable {
  dispose(): void;
}

/** The part of `vscode.Webview` the channel uses. */
export interface WebviewPort {
  postMessage(message: unknown): PromiseLike<boolean>;
  onDidReceiveMessage(listener: (message: unknown) => void): Disposable;
}

export type RequestHandlers = { [M in RequestMethod]: (params: Requests[M]['params']) => Promise<Requests[M]['result']> | Requests[M]['result'] };

export interface ChannelHandlers {
  /** The webview (re)started and listens: send it everything. */
  onReady(): void;
  onCommand(message: Exclude<CommandMessage, { method: 'ready' }>): void;
  requests: RequestHandlers;
  /** A message that failed validation (logged, never acted on). */
  onInvalid?(message: unknown): void;
}

export class PanelChannel implements Disposable {
  private ready = false;
  private readonly subscription: Disposable;

  constructor(
    private readonly port: WebviewPort,
    private readonly handlers: ChannelHandlers,
  ) {
    this.subscription = port.onDidReceiveMessage((raw) => this.receive(raw));
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** The webview is being replaced (new HTML): wait for its next `ready`. */
  reset(): void {
    this.ready = false;
  }

  /** Posts a notification; returns false (and posts nothing) before the webview is ready. */
  notify<M extends NotificationMethod>(method: M, params: Notifications[M]): boolean {
    if (!this.ready) return false;
    void this.port.postMessage(notification(method, params));
    return true;
  }

  dispose(): void {
    this.ready = false;
    this.subscription.dispose();
  }

  private receive(raw: unknown): void {
    const message = parseWebviewMessage(raw);
    if (!message) {
      this.handlers.onInvalid?.(raw);
      return;
    }
    if (message.type === 'command') {
      if (message.method === 'ready') {
        this.ready = true;
        this.handlers.onReady();
      } else {
        this.handlers.onCommand(message);
      }
      return;
    }
    void this.answer(message);
  }

  private async answer(message: RequestMessage): Promise<void> {
    let response;
    try {
      const handler = this.handlers.requests[message.method] as (params: RequestMessage['params']) => Promise<unknown> | unknown;
      const result = await handler(message.params);
      response = reply(message, result as never);
    } catch (error) {
      response = replyError(message, error instanceof Error ? error.message : String(error));
    }
    // A response to a webview that went away is dropped with it; the new one never asked.
    void this.port.postMessage(response);
  }
}
