/** JSON schemas of the API's responses (for `/openapi.json`), and validation errors in plain words. */
import type { FastifySchemaValidationError } from 'fastify/types/schema';

const usage = { type: 'object', properties: { inputTokens: { type: 'number' }, outputTokens: { type: 'number' }, totalTokens: { type: 'number' } } } as const;
const errorInfo = { type: 'object', additionalProperties: true, properties: { code: { type: 'string' }, message: { type: 'string' }, stepId: { type: 'string' } } } as const;

export const runStateSchema = {
  type: 'object',
  required: ['id', 'workflow', 'status', 'steps'],
  properties: {
    id: { type: 'string' },
    workflow: { type: 'string', description: 'The workflow file, relative to the served folder' },
    status: { type: 'string', enum: ['queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled', 'interrupted'] },
    outputs: { type: 'object', additionalProperties: true },
    error: errorInfo,
    steps: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: {
          status: { type: 'string', enum: ['pending', 'running', 'retrying', 'succeeded', 'failed', 'skipped', 'cancelled'] },
          output: {},
          attempts: { type: 'integer' },
          visits: { type: 'integer' },
          error: errorInfo,
          durationMs: { type: 'number' },
          usage,
          costUsd: { type: 'number' },
        },
      },
    },
    usage,
    costUsd: { type: 'number' },
    startedAt: { type: 'number', description: 'ms since the epoch; absent while queued' },
    durationMs: { type: 'number' },
  },
} as const;

export const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      additionalProperties: true,
      properties: { code: { type: 'string' }, message: { type: 'string' }, input: { type: 'string' }, problems: { type: 'array', items: { type: 'string' } } },
    },
  },
} as const;

/** A schema validation error as a person reads it, never the validator's own wording. */
export function describeValidationError(errors: FastifySchemaValidationError[], context: string | undefined): string {
  const error = errors[0];
  const where = context === 'body' ? 'the request body' : context === 'querystring' ? 'the query string' : context === 'params' ? 'the URL' : (context ?? 'the request');
  const field = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `${where} needs \`${String(params.missingProperty)}\``;
    case 'additionalProperties':
      return `unknown field \`${String(params.additionalProperty)}\` in ${where}`;
    case 'type':
      return `${field ? `\`${field}\`` : where} must be ${article(String(params.type))}`;
    case 'pattern':
      return `\`${field || context}\` is malformed`;
    default:
      return `${field ? `\`${field}\` in ` : ''}${where} is invalid`;
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
