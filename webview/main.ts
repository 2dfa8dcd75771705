/**
 * The run panel's entry point (bundled to dist/webview/panel.js). It registers
 * the vscode-elements it uses, starts the app on `#root`, and only then tells the
 * host it is `ready`: the host posts nothing before that (docs/architecture.md, rule 8).
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import './panel.css';
import { parseUiState } from '../src/shared/protocol';
import { PanelApp } from './app';
import { HostConnection } from './host-connection';
import { createMarkdownRenderer } from './markdown';

const api = acquireVsCodeApi();
// Messages reach the connection only through the listener added below, once `app` exists.
const connection = new HostConnection(api, (message) => app.receive(message));

const root = document.getElementById('root');
if (!root) throw new Error('the panel page has no #root');

const app = new PanelApp(root, connection, createMarkdownRenderer(window), parseUiState(connection.uiState));
window.addEventListener('message', (event: MessageEvent<unknown>) => connection.receive(event.data));
window.addEventListener('error', (event) => connection.command('webview/error', { message: String(event.message) }));
window.addEventListener('unhandledrejection', (event) => connection.command('webview/error', { message: String(event.reason) }));
connection.command('ready', {});
