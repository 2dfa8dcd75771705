/**
 * The run panel's HTML page (docs/architecture.md, rule 9; after the webview sample's
 * locked-down page): `default-src 'none'`, scripts only with this render's nonce,
 * styles and fonts only from the extension's own resources, nothing remote, no
 * inline handlers. Pure, so the policy is unit-tested and reused by the benchmark.
 */
import { randomBytes } from 'node:crypto';

export interface PanelHtmlOptions {
  /** `webview.cspSource`. */
  cspSource: string;
  /** A fresh value per render ({@link newNonce}). */
  nonce: string;
  /** Webview URIs of dist/webview/panel.js, panel.css and codicon.css. */
  scriptUri: string;
  styleUri: string;
  codiconUri: string;
  title: string;
}

/** 128 random bits from the OS, as the webview sample advises (not Math.random, not the date). */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function panelHtml(options: PanelHtmlOptions): string {
  const a = escapeAttribute;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${a(contentSecurityPolicy(options.cspSource, options.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" id="vscode-codicon-stylesheet" href="${a(options.codiconUri)}">
<link rel="stylesheet" href="${a(options.styleUri)}">
<title>${a(options.title)}</title>
</head>
<body>
<div id="root"></div>
<script type="module" nonce="${a(options.nonce)}" src="${a(options.scriptUri)}"></script>
</body>
</html>`;
}
