/**
 * The webview's end of the protocol (src/shared/protocol.ts): commands, requests
 * with ids and promises settled by their responses, and notifications handed to
 * the app. `acquireVsCodeApi` is the only thing of VS Code the webview touches.
 */
import {
  command,
  parseHostMessage,
  request,
  type CommandMethod,
  type Commands,
  type NotificationMessage,
  type PanelUiState,
  type RequestMethod,
  type Requests,
} from '../src/shared/protocol';

/** What `acquireVsCodeApi()` returns (typed here: the webview has no `vscode` types). */
export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: PanelUiState): void;
}

declare global {
  function acquireVsCodeApi(): VsCodeApi;
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

export class HostConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly api: VsCodeApi,
    private readonly onNotification: (message: NotificationMessage) => void,
  ) {}

  /** Handles one `message` event's data; anything that is not the host's is ignored. */
  receive(data: unknown): void {
    const message = parseHostMessage(data);
    if (!message) return;
    if (message.type === 'notification') {
      this.onNotification(message);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(new Error(message.error));
  }

  command<M extends CommandMethod>(method: M, params: Commands[M]): void {
    this.api.postMessage(command(method, params));
  }

  request<M extends RequestMethod>(method: M, params: Requests[M]['params']): Promise<Requests[M]['result']> {
    const id = this.nextId++;
    return new Promise<Requests[M]['result']>((resolve, reject) => {
      this.pending.set(id, { resolve: (result) => resolve(result as Requests[M]['result']), reject });
      this.api.postMessage(request(id, method, params));
    });
  }

  get uiState(): unknown {
    return this.api.getState();
  }

  saveUiState(state: PanelUiState): void {
    this.api.setState(state);
  }
}
