/**
 * Webhook triggers: `POST /v1/hooks/<path>` with a body signed by HMAC-SHA256
 * under a secret from the environment starts the workflow that declares the path,
 * with inputs mapped from the body.
 */
import type { FastifyInstance } from 'fastify';
import type { RunBackend } from './backend';
import { ApiError } from './errors';
import { verifySignature } from './signature';
import type { WebhookTrigger } from '../engine/triggers/triggers';
import { applyMapping } from '../engine/triggers/webhook-mapping';
import { checkRunInputs, checkServedFile, type ServedWorkflow } from './workflows';

interface Route {
  served: ServedWorkflow;
  hook: WebhookTrigger;
}

export class WebhookRouter {
  private readonly routes = new Map<string, Route>();

  constructor(
    private readonly root: string,
    private readonly backend: RunBackend,
    private readonly env: Record<string, string | undefined>,
    workflows: ServedWorkflow[],
    warn: (message: string) => void,
  ) {
    for (const served of workflows) {
      for (const hook of served.triggers.webhooks) {
        const other = this.routes.get(hook.path);
        if (other) {
          warn(`webhook ${hook.path} is declared by both ${other.served.name} and ${served.name}; ${served.name}'s is off`);
          continue;
        }
        if (!env[hook.secretEnv]) warn(`webhook ${hook.path} (${served.name}) refuses every request until ${hook.secretEnv} is set`);
        this.routes.set(hook.path, { served, hook });
      }
    }
  }

  get paths(): string[] {
    return [...this.routes.keys()];
  }

  register(app: FastifyInstance): void {
    app.post<{ Params: { '*': string } }>('/v1/hooks/*', { schema: { summary: 'A webhook declared by a workflow’s `on.webhook`; the body must be signed (HMAC-SHA256)' } }, async (request, reply) => {
      const route = this.routes.get(`/${request.params['*']}`);
      if (!route) throw new ApiError(404, 'webhook-not-found', `no workflow declares the webhook /${request.params['*']}`);
      const { hook } = route;
      const secret = this.env[hook.secretEnv];
      if (!secret) throw new ApiError(503, 'webhook-secret-missing', `this webhook's secret is not configured on the server (${hook.secretEnv})`);
      const signature = request.headers[hook.signatureHeader];
      if (!verifySignature(secret, request.rawBody ?? Buffer.alloc(0), Array.isArray(signature) ? signature[0] : signature)) {
        throw new ApiError(401, 'bad-signature', `the request's ${hook.signatureHeader} header is missing or is not the HMAC-SHA256 of its body under the webhook's secret`);
      }
      // Read the workflow again so an edit since the server started applies.
      const served = checkServedFile(this.root, route.served.file);
      const current = served.triggers.webhooks.find((candidate) => candidate.path === hook.path) ?? hook;
      const headers = Object.fromEntries(Object.entries(request.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
      let given: unknown = request.body;
      if (current.inputs) {
        try {
          given = applyMapping(current.inputs, { body: request.body, headers });
        } catch (error) {
          throw new ApiError(422, 'webhook-mapping', (error as Error).message);
        }
      }
      const inputs = checkRunInputs(served.workflow, given);
      const record = await this.backend.start({ served, inputs });
      return reply.code(201).send({ id: record.id, status: record.state.status });
    });
  }
}
