/**
 * Red Hat YAML (`redhat.vscode-yaml`) reads our `yamlValidation` schema and offers keys,
 * enum values and hovers from it. When it is installed we offer none of those, so a
 * person never sees each suggestion twice; references (`steps.`, transitions) stay ours.
 */
import * as vscode from 'vscode';

export const RED_HAT_YAML = 'redhat.vscode-yaml';

export class RedHatYaml implements vscode.Disposable {
  private installed = Boolean(vscode.extensions.getExtension(RED_HAT_YAML));
  private readonly subscription = vscode.extensions.onDidChange(() => {
    this.installed = Boolean(vscode.extensions.getExtension(RED_HAT_YAML));
  });

  /** Whether our own schema completions and hovers should be offered. */
  get schemaItems(): boolean {
    return !this.installed;
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
