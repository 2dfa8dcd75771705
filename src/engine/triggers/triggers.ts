/**
 * The `on:` block of a workflow: what starts it besides a person. Parsed here from
 * the YAML document, with every problem located at file:line:col under a stable
 * code, until the loader and schema accept `on:` themselves (see docs/serve.md).
 *
 * ```yaml
 * on:
 *   webhook:
 *     path: /github/push
 *     secret_env: GITHUB_WEBHOOK_SECRET
 *     inputs:
 *       repo: "{{ body.repository.full_name }}"
 *   schedule:
 *     - cron: "0 9 * * 1-5"
 *       timezone: Europe/Paris
 *       inputs: { topic: daily }
 * ```
 */
import { Cron } from 'croner';
import { isMap, isScalar, isSeq, parseDocument, type Node, type Pair } from 'yaml';
import { SourceMap } from '../source';
import type { ProblemCode, Severity, SourceRange, Workflow } from '../types';
import { compileMapping, type InputMapping } from './webhook-mapping';

/** The codes of `on:` problems (declared with the rest in src/engine/types.ts). */
export type TriggerProblemCode = Extract<ProblemCode, `trigger-${string}`>;

export interface TriggerProblem {
  file: string;
  range: SourceRange;
  code: TriggerProblemCode;
  severity: Severity;
  message: string;
}

export interface WebhookTrigger {
  /** Served at `/v1/hooks<path>`. */
  path: string;
  /** The environment variable holding the HMAC-SHA256 secret. */
  secretEnv: string;
  /** The header carrying `sha256=<hex>` (GitHub's form) or the bare hex digest. */
  signatureHeader: string;
  /** Workflow inputs from the request: templates over `body` and `headers`; without it the body's fields are the inputs. */
  inputs?: InputMapping;
  range: SourceRange;
}

export interface ScheduleTrigger {
  cron: string;
  /** An IANA time zone; UTC when absent. */
  timezone: string;
  /** Start a run while the last one from this schedule is still going. */
  overlap: boolean;
  inputs: Record<string, unknown>;
  range: SourceRange;
}

export interface Triggers {
  webhooks: WebhookTrigger[];
  schedules: ScheduleTrigger[];
}

const DEFAULT_SIGNATURE_HEADER = 'x-hub-signature-256';
const WEBHOOK_KEYS = ['path', 'secret_env', 'signature_header', 'inputs'];
const SCHEDULE_KEYS = ['cron', 'timezone', 'overlap', 'inputs'];
const PATH_PATTERN = /^(\/[A-Za-z0-9._~-]+)+$/;
const ENV_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Reads `on:` from a workflow file's text; `workflow` (when loaded) lets input names be checked. */
export function parseTriggers(text: string, file: string, workflow?: Workflow): { triggers: Triggers; problems: TriggerProblem[] } {
  const triggers: Triggers = { webhooks: [], schedules: [] };
  const problems: TriggerProblem[] = [];
  const source = new SourceMap(text);
  const document = parseDocument(text, { uniqueKeys: false });
  const root = document.contents;
  if (!isMap(root)) return { triggers, problems };
  const pair = root.items.find((item) => isScalar(item.key) && item.key.value === 'on');
  if (!pair) return { triggers, problems };

  const rangeOf = (node: unknown): SourceRange => {
    const r = (node as Node | undefined)?.range;
    return r ? source.range(r[0], r[1]) : source.range(0);
  };
  const report = (node: unknown, code: TriggerProblemCode, message: string) => problems.push({ file, range: rangeOf(node), code, severity: 'error', message });
  const inputNames = workflow ? new Set(workflow.inputs.map((input) => input.name)) : undefined;

  const block = pair.value;
  if (!isMap(block)) {
    report(block ?? pair.key, 'trigger-invalid', '`on:` must be a mapping with `webhook:` and/or `schedule:`');
    return { triggers, problems };
  }
  for (const item of block.items) {
    const key = isScalar(item.key) ? String(item.key.value) : '';
    if (key === 'webhook') for (const node of listOf(item)) readWebhook(node);
    else if (key === 'schedule') for (const node of listOf(item)) readSchedule(node);
    else report(item.key, 'trigger-unknown-key', `unknown trigger \`${key}\` in \`on:\`; known triggers: webhook, schedule`);
  }
  const seen = new Map<string, WebhookTrigger>();
  for (const hook of triggers.webhooks) {
    if (seen.has(hook.path)) problems.push({ file, range: hook.range, code: 'trigger-duplicate-path', severity: 'error', message: `webhook path \`${hook.path}\` is declared twice` });
    seen.set(hook.path, hook);
  }
  return { triggers, problems };

  function listOf(item: Pair): unknown[] {
    return isSeq(item.value) ? item.value.items : [item.value];
  }

  function fields(node: unknown, what: string, known: string[]): Map<string, { key: unknown; value: unknown }> | undefined {
    if (!isMap(node)) {
      report(node, 'trigger-invalid', `each \`${what}\` must be a mapping with ${known.map((k) => `\`${k}\``).join(', ')}`);
      return undefined;
    }
    const out = new Map<string, { key: unknown; value: unknown }>();
    for (const entry of node.items) {
      const key = isScalar(entry.key) ? String(entry.key.value) : '';
      if (!known.includes(key)) report(entry.key, 'trigger-unknown-key', `unknown key \`${key}\` in \`${what}\`; known keys: ${known.join(', ')}`);
      else out.set(key, { key: entry.key, value: entry.value });
    }
    return out;
  }

  function scalarString(entry: { key: unknown; value: unknown } | undefined): string | undefined {
    return entry && isScalar(entry.value) && typeof entry.value.value === 'string' ? entry.value.value : undefined;
  }

  function checkInputNames(node: unknown, names: Iterable<[string, unknown]>): void {
    if (!inputNames) return;
    for (const [name, keyNode] of names) {
      if (!inputNames.has(name)) report(keyNode ?? node, 'trigger-unknown-input', `\`${name}\` is not an input of this workflow; its inputs are: ${[...inputNames].join(', ') || '(none)'}`);
    }
  }

  function readWebhook(node: unknown): void {
    const map = fields(node, 'webhook', WEBHOOK_KEYS);
    if (!map) return;
    const pathEntry = map.get('path');
    const path = scalarString(pathEntry);
    if (path === undefined || !PATH_PATTERN.test(path)) {
      report(pathEntry?.value ?? node, 'trigger-webhook-path', 'a webhook needs `path:` like `/github/push`: segments of letters, digits, `.`, `_`, `~` or `-`, each after a `/`');
      return;
    }
    const secretEntry = map.get('secret_env');
    const secretEnv = scalarString(secretEntry);
    if (secretEnv === undefined || !ENV_PATTERN.test(secretEnv)) {
      report(secretEntry?.value ?? node, 'trigger-secret-env', 'a webhook needs `secret_env:` naming the environment variable that holds its signing secret, like `GITHUB_WEBHOOK_SECRET`');
      return;
    }
    const headerEntry = map.get('signature_header');
    const signatureHeader = headerEntry === undefined ? DEFAULT_SIGNATURE_HEADER : scalarString(headerEntry)?.toLowerCase();
    if (signatureHeader === undefined || !/^[a-z0-9-]+$/.test(signatureHeader)) {
      report(headerEntry?.value, 'trigger-invalid', '`signature_header:` must be an HTTP header name, like `X-Hub-Signature-256`');
      return;
    }
    let inputs: InputMapping | undefined;
    const inputsEntry = map.get('inputs');
    if (inputsEntry) {
      if (!isMap(inputsEntry.value)) {
        report(inputsEntry.value, 'trigger-invalid', "`inputs:` must map each input's name to a value or a `{{ }}` template over `body` and `headers`");
        return;
      }
      const entries: [string, unknown, Node][] = [];
      for (const entry of inputsEntry.value.items) {
        const name = isScalar(entry.key) ? String(entry.key.value) : '';
        const value = isScalar(entry.value) ? entry.value.value : (entry.value as Node | null)?.toJSON();
        entries.push([name, value, (entry.value ?? entry.key) as Node]);
      }
      checkInputNames(inputsEntry.value, entries.map(([name], i) => [name, inputsEntry.value && isMap(inputsEntry.value) ? inputsEntry.value.items[i].key : undefined]));
      const compiled = compileMapping(entries.map(([name, value, at]) => ({ name, value, offset: at.range?.[0] ?? 0 })));
      for (const problem of compiled.problems) problems.push({ file, range: source.range(problem.offset), code: 'trigger-expression', severity: 'error', message: problem.message });
      inputs = compiled.mapping;
    }
    triggers.webhooks.push({ path, secretEnv, signatureHeader, inputs, range: rangeOf(node) });
  }

  function readSchedule(node: unknown): void {
    const map = fields(node, 'schedule', SCHEDULE_KEYS);
    if (!map) return;
    const cronEntry = map.get('cron');
    const cron = scalarString(cronEntry);
    if (cron === undefined) {
      report(cronEntry?.value ?? node, 'trigger-cron', 'a schedule needs `cron:`, five fields: minute hour day-of-month month day-of-week, like `"0 9 * * 1-5"`');
      return;
    }
    const cronError = cronProblem(cron);
    if (cronError) {
      report(cronEntry?.value, 'trigger-cron', cronError);
      return;
    }
    const zoneEntry = map.get('timezone');
    const timezone = zoneEntry === undefined ? 'UTC' : scalarString(zoneEntry);
    if (timezone === undefined || !isTimeZone(timezone)) {
      report(zoneEntry?.value, 'trigger-timezone', `\`${String(timezone ?? '')}\` is not a time zone; use an IANA name like \`Europe/Paris\` or \`UTC\``);
      return;
    }
    const overlapEntry = map.get('overlap');
    const overlapValue = overlapEntry && isScalar(overlapEntry.value) ? overlapEntry.value.value : undefined;
    if (overlapEntry && typeof overlapValue !== 'boolean') {
      report(overlapEntry.value, 'trigger-invalid', '`overlap:` is true or false');
      return;
    }
    const inputsEntry = map.get('inputs');
    let inputs: Record<string, unknown> = {};
    if (inputsEntry) {
      const value = (inputsEntry.value as Node | null)?.toJSON() as unknown;
      if (!isMap(inputsEntry.value) || typeof value !== 'object' || value === null) {
        report(inputsEntry.value, 'trigger-invalid', "`inputs:` must map each input's name to its value");
        return;
      }
      checkInputNames(inputsEntry.value, inputsEntry.value.items.map((entry) => [isScalar(entry.key) ? String(entry.key.value) : '', entry.key]));
      inputs = value as Record<string, unknown>;
    }
    triggers.schedules.push({ cron, timezone, overlap: overlapValue === true, inputs, range: rangeOf(node) });
  }
}

/** Why a cron pattern is invalid, worded for a workflow author; undefined when it is valid. */
export function cronProblem(cron: string): string | undefined {
  const fieldCount = cron.trim().split(/\s+/).length;
  if (fieldCount !== 5) return `\`${cron}\` has ${fieldCount} field${fieldCount === 1 ? '' : 's'}; a cron schedule has five: minute hour day-of-month month day-of-week, like \`0 9 * * 1-5\``;
  try {
    new Cron(cron, { paused: true });
    return undefined;
  } catch (error) {
    const detail = (error as Error).message.replace(/^Cron\w*:\s*/, '');
    return `\`${cron}\` is not a valid cron schedule: ${detail.charAt(0).toLowerCase()}${detail.slice(1)}`;
  }
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The next `count` times a schedule fires after `from` (ms since the epoch), in its time zone. */
export function nextScheduleTimes(schedule: Pick<ScheduleTrigger, 'cron' | 'timezone'>, from: number, count: number): number[] {
  return new Cron(schedule.cron, { timezone: schedule.timezone, paused: true }).nextRuns(count, new Date(from)).map((date) => date.getTime());
}
