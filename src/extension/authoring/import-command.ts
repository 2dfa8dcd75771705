/**
 * *Orchestrate: Import Workflow…*: a Prompt flow, Prompty, GitHub Models or Agent
 * Framework file becomes a workflow next to it; what did not map is in its header
 * comment and in the Orchestrate log.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { FORMAT_NAMES, ImportError, importWorkflow } from '../../authoring/import';
import { createAndOpen, freeUri } from './new-file';

export function registerImportCommand(log: vscode.LogOutputChannel): vscode.Disposable {
  return vscode.commands.registerCommand('orchestrate.workflow.import', async (given?: vscode.Uri) => {
    const source =
      given ??
      (
        await vscode.window.showOpenDialog({
          title: 'Import a workflow',
          openLabel: 'Import',
          canSelectMany: false,
          filters: { 'Prompt flow, Prompty, GitHub Models, Agent Framework': ['yaml', 'yml', 'prompty'] },
        })
      )?.[0];
    if (!source) return undefined;
    const file = source.fsPath;
    const dir = path.dirname(file);
    const readSibling = (relative: string) => {
      const target = path.resolve(dir, relative);
      // A flow names its templates; nothing outside its folder is read.
      return path.relative(dir, target).startsWith('..') || !existsSync(target) ? undefined : readFileSync(target, 'utf8');
    };
    try {
      const result = importWorkflow(file, readFileSync(file, 'utf8'), readSibling);
      const stem = path.basename(file).replace(/(\.dag)?\.(prompty|prompt\.ya?ml|ya?ml)$/i, '');
      const target = await freeUri(vscode.Uri.file(dir), stem === 'flow' ? path.basename(dir) : stem);
      log.info(`Imported ${file} (${FORMAT_NAMES[result.format]}) → ${target.fsPath}\n${result.report.lines().join('\n')}`);
      await createAndOpen(target, result.text);
      const skipped = result.report.unmapped.length;
      void vscode.window.showInformationMessage(skipped === 0 ? `Imported ${path.basename(file)}: everything was mapped.` : `Imported ${path.basename(file)}: ${skipped} thing${skipped === 1 ? '' : 's'} did not map; the file's header comment says what and why.`);
      return target;
    } catch (error) {
      if (error instanceof ImportError) {
        void vscode.window.showErrorMessage(error.message);
        return undefined;
      }
      throw error;
    }
  });
}
