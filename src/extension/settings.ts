/**
 * The `orchestrate.*` settings, read fresh on each use (so a change applies to the next
 * run without a reload). Keys never live here: they are in SecretStorage.
 */
import * as vscode from 'vscode';
import { CACHE_POLICIES, type CachePolicy } from '../engine/cache';

export const SECTION = 'orchestrate';
export const DEFAULT_GLOBS = ['**/*.workflow.yaml', '**/*.workflow.yml'];

export type AskForInputs = 'missing' | 'always';

function config(scope?: vscode.ConfigurationScope): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION, scope);
}

export const settings = {
  workflowGlobs(): string[] {
    const globs = config().get<unknown>('workflowGlobs');
    return Array.isArray(globs) && globs.length > 0 && globs.every((g) => typeof g === 'string' && g.trim() !== '') ? (globs as string[]) : DEFAULT_GLOBS;
  },
  defaultProvider(scope?: vscode.ConfigurationScope): string | undefined {
    return nonEmpty(config(scope).get<string>('defaultProvider'));
  },
  defaultModel(scope?: vscode.ConfigurationScope): string | undefined {
    return nonEmpty(config(scope).get<string>('defaultModel'));
  },
  /** Named OpenAI-compatible servers, as written in the settings (checked by `parseConfig`). */
  providers(scope?: vscode.ConfigurationScope): unknown {
    return config(scope).get<unknown>('providers') ?? [];
  },
  /** The trace and cache folder, relative to the workspace folder; empty turns recording off. */
  traceFolder(scope?: vscode.ConfigurationScope): string {
    const folder = config(scope).get<string>('traceFolder');
    return typeof folder === 'string' ? folder.trim() : '.orchestrate';
  },
  cache(scope?: vscode.ConfigurationScope): CachePolicy {
    const policy = config(scope).get<string>('cache');
    return CACHE_POLICIES.includes(policy as CachePolicy) ? (policy as CachePolicy) : 'reuse';
  },
  mockDelayMs(scope?: vscode.ConfigurationScope): number {
    const delay = config(scope).get<number>('mockDelayMs');
    return typeof delay === 'number' && delay >= 0 ? delay : 0;
  },
  concurrency(scope?: vscode.ConfigurationScope): number {
    const n = config(scope).get<number>('concurrency');
    return typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : 8;
  },
  askForInputs(scope?: vscode.ConfigurationScope): AskForInputs {
    return config(scope).get<string>('askForInputs') === 'always' ? 'always' : 'missing';
  },
};

function nonEmpty(value: string | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}
