/**
 * Setting up: API keys (SecretStorage, one per provider; never in settings or logs),
 * the default provider and model (settings), and a new workflow from an example.
 */
import * as vscode from 'vscode';
import { configuredProviders, secretKey } from '../runs/providers';
import { forgetServerInputs } from '../runs/tool-consent';
import { settings } from '../settings';

const OPENAI_MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'gpt-4.1', 'gpt-4.1-nano', 'o4-mini'];

export function registerSetupCommands(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): vscode.Disposable[] {
  const providerNames = () => ['openai', ...configuredProviders(settings.providers(), (m) => log.warn(m)).map((p) => p.name).filter((n) => n !== 'openai')];

  const setApiKey = async (preset?: unknown) => {
    let provider = typeof preset === 'string' && preset !== 'mock' ? preset : undefined;
    if (!provider) {
      const items = await Promise.all(
        providerNames().map(async (name) => ({ label: name, description: (await context.secrets.get(secretKey(name))) ? 'key set' : 'no key stored' })),
      );
      provider = (await vscode.window.showQuickPick(items, { title: 'Set API Key', placeHolder: 'Which provider is the key for? (others: the orchestrate.providers setting)' }))?.label;
    }
    if (!provider) return;
    const stored = await context.secrets.get(secretKey(provider));
    const key = await vscode.window.showInputBox({
      title: `API key for ${provider}`,
      prompt: `Kept in the editor's secret storage, never in settings, workflow files, traces or logs.${stored ? ' Leave empty to remove the stored key.' : ''}`,
      password: true,
      ignoreFocusOut: true,
      placeHolder: provider === 'openai' ? 'sk-…' : 'the key',
    });
    if (key === undefined) return;
    if (key.trim() === '') {
      if (stored) {
        await context.secrets.delete(secretKey(provider));
        log.info(`removed the stored API key for ${provider}`);
        void vscode.window.showInformationMessage(`Removed the API key for ${provider}.`);
      }
      return;
    }
    await context.secrets.store(secretKey(provider), key.trim());
    log.info(`stored an API key for ${provider}`);
    void vscode.window.showInformationMessage(`Stored the API key for ${provider}. Runs use it from now on.`);
  };

  const chooseModel = async () => {
    const providers = [...providerNames(), 'vscode-lm', 'mock'].map((name) => ({
      label: name,
      description: name === settings.defaultProvider() ? 'current default' : name === 'vscode-lm' ? "the editor's language models (e.g. Copilot)" : name === 'mock' ? 'no key, no network' : undefined,
    }));
    const provider = (await vscode.window.showQuickPick(providers, { title: 'Default provider', placeHolder: 'For steps that name no provider' }))?.label;
    if (!provider) return;
    let model: string | undefined;
    if (provider === 'mock') model = 'mock';
    else {
      const other = 'Other model…';
      const known = provider === 'openai' ? OPENAI_MODELS : provider === 'vscode-lm' ? (await vscode.lm.selectChatModels().then(undefined, () => [])).map((m) => `${m.vendor}/${m.family}`) : [];
      const picked = known.length ? await vscode.window.showQuickPick([...new Set(known), other], { title: `Default model of ${provider}` }) : other;
      if (!picked) return;
      model = picked === other ? await vscode.window.showInputBox({ title: `Default model of ${provider}`, prompt: 'The model name the provider knows', value: settings.defaultModel() ?? '' }) : picked;
    }
    if (!model) return;
    const target = vscode.ConfigurationTarget.Global;
    await vscode.workspace.getConfiguration('orchestrate').update('defaultProvider', provider, target);
    await vscode.workspace.getConfiguration('orchestrate').update('defaultModel', model, target);
    void vscode.window.showInformationMessage(`Steps that name no model now use ${provider} / ${model}.`);
  };

  const newFromExample = async () => {
    const examples = vscode.Uri.joinPath(context.extensionUri, 'examples');
    const entries = await vscode.workspace.fs.readDirectory(examples).then(undefined, () => [] as [string, vscode.FileType][]);
    const items = [];
    for (const [name, type] of entries) {
      if (type !== vscode.FileType.File || !/\.workflow\.ya?ml$/.test(name)) continue;
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(examples, name)));
      items.push({ label: /^name:\s*(.+)$/m.exec(text)?.[1]?.trim() ?? name, description: name, detail: /^description:\s*(.+)$/m.exec(text)?.[1]?.trim(), file: name, text });
    }
    if (items.length === 0) {
      void vscode.window.showErrorMessage('No examples were found in the extension.');
      return;
    }
    const picked = await vscode.window.showQuickPick(items, { title: 'New workflow from an example', matchOnDescription: true, matchOnDetail: true });
    if (!picked) return;
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) {
      const document = await vscode.workspace.openTextDocument({ language: 'yaml', content: picked.text });
      await vscode.window.showTextDocument(document);
      return;
    }
    const target = await uniqueFile(folder.uri, picked.file);
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(picked.text));
    // Bring along the sub-workflows it uses (`uses: lib/…`) when the workspace lacks them.
    for (const match of picked.text.matchAll(/^\s*uses:\s*["']?([^"'\s#]+)/gm)) {
      const source = vscode.Uri.joinPath(examples, match[1]);
      const copy = vscode.Uri.joinPath(folder.uri, match[1]);
      const exists = await vscode.workspace.fs.stat(copy).then(() => true, () => false);
      if (!exists) await vscode.workspace.fs.copy(source, copy).then(undefined, () => undefined);
    }
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(target));
    return target;
  };

  return [
    vscode.commands.registerCommand('orchestrate.apiKey.set', setApiKey),
    vscode.commands.registerCommand('orchestrate.mcpInputs.forget', async () => {
      const count = await forgetServerInputs(context.secrets);
      log.info(`forgot ${count} stored MCP server input${count === 1 ? '' : 's'}`);
      void vscode.window.showInformationMessage(count ? `Forgot ${count} MCP server input${count === 1 ? '' : 's'}; runs ask again.` : 'No MCP server inputs were stored.');
    }),
    vscode.commands.registerCommand('orchestrate.model.choose', chooseModel),
    vscode.commands.registerCommand('orchestrate.workflow.newFromExample', newFromExample),
  ];
}

async function uniqueFile(folder: vscode.Uri, name: string): Promise<vscode.Uri> {
  const ext = /\.workflow\.ya?ml$/.exec(name)![0];
  const base = name.slice(0, -ext.length);
  for (let n = 1; ; n++) {
    const candidate = vscode.Uri.joinPath(folder, n === 1 ? name : `${base}-${n}${ext}`);
    const exists = await vscode.workspace.fs.stat(candidate).then(() => true, () => false);
    if (!exists) return candidate;
  }
}
