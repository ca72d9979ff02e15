import { ERROR_CATALOGUE } from '../errors.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorResponses = (...codes: (keyof typeof ERROR_CATALOGUE)[]) =>
  Object.fromEntries(
    codes.map((code) => [
      String(ERROR_CATALOGUE[code].status),
      {
        description: `${code}: ${ERROR_CATALOGUE[code].message}`,
        content: { 'application/json': { schema: ref('Error') } },
      },
    ]),
  );
const runId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const streamContent = {
  'application/x-ndjson': { schema: ref('RunEvent'), description: 'One JSON event per line' },
  'text/event-stream': {
    schema: { type: 'string' },
    description: 'The same events as SSE (id = seq, event = type)',
  },
  'text/plain': { schema: { type: 'string' }, description: 'The raw output lines only' },
};

/** The OpenAPI 3.1 description of every route, schema and error code; served at /openapi.json. */
export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'probe agent',
      version: '0.1.0',
      description:
        'Runs whitelisted task scripts for one-click hosting and streams their output. Every /v1 route needs a JWT bearer token whose scope grants the task (or `*`), `runs:read`, `runs:cancel` or `metrics`.',
    },
    servers: [{ url: 'http://127.0.0.1:3050' }],
    security: [{ bearer: [] }],
    paths: {
      '/healthz': {
        get: {
          summary: 'Liveness',
          security: [],
          responses: {
            '200': {
              description: 'ok',
              content: {
                'application/json': { schema: { type: 'object', properties: { status: { const: 'ok' } } } },
              },
            },
          },
        },
      },
      '/openapi.json': {
        get: {
          summary: 'This document',
          security: [],
          responses: { '200': { description: 'OpenAPI 3.1 document' } },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (needs the metrics scope unless metrics.public)',
          responses: {
            '200': {
              description: 'Prometheus text format',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
            ...errorResponses('unauthorized', 'forbidden'),
          },
        },
      },
      '/v1/tasks': {
        get: {
          summary: 'The tasks this token may run, with their declared args',
          responses: {
            '200': {
              description: 'Tasks',
              content: {
                'application/json': {
                  schema: { type: 'object', properties: { tasks: { type: 'array', items: ref('Task') } } },
                },
              },
            },
            ...errorResponses('unauthorized', 'too_many_requests'),
          },
        },
      },
      '/v1/runs': {
        post: {
          summary: 'Start a run and stream its events (or answer 202 at once with ?wait=0)',
          parameters: [
            { name: 'wait', in: 'query', schema: { enum: ['0'] }, description: '0: answer 202 {id} at once' },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: ref('RunRequest') } } },
          responses: {
            '200': {
              description: 'The run, streamed live',
              headers: { Location: { schema: { type: 'string' } } },
              content: streamContent,
            },
            '202': {
              description: 'Started',
              headers: { Location: { schema: { type: 'string' } } },
              content: {
                'application/json': { schema: { type: 'object', properties: { id: { type: 'string' } } } },
              },
            },
            ...errorResponses(
              'bad_request',
              'unauthorized',
              'forbidden',
              'not_found',
              'locked',
              'payload_too_large',
              'unsupported_media_type',
              'too_many_requests',
              'internal',
              'unavailable',
            ),
          },
        },
        get: {
          summary: "List runs (the caller's own, or all with runs:read)",
          parameters: [
            { name: 'task', in: 'query', schema: { type: 'string' } },
            { name: 'status', in: 'query', schema: ref('RunStatus') },
            {
              name: 'limit',
              in: 'query',
              schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
            },
          ],
          responses: {
            '200': {
              description: 'Runs, newest first',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: { runs: { type: 'array', items: ref('RunRecord') } },
                  },
                },
              },
            },
            ...errorResponses('bad_request', 'unauthorized', 'too_many_requests'),
          },
        },
      },
      '/v1/runs/{id}': {
        get: {
          summary: 'A run: status, task, args, caller, timestamps, exit code, result and output',
          parameters: [runId],
          responses: {
            '200': {
              description: 'The run',
              content: {
                'application/json': {
                  schema: {
                    allOf: [ref('RunRecord'), { type: 'object', properties: { output: { type: 'string' } } }],
                  },
                },
              },
            },
            ...errorResponses('unauthorized', 'forbidden', 'not_found'),
          },
        },
        delete: {
          summary: 'Cancel a run: SIGTERM to its process group, SIGKILL after the grace period',
          parameters: [runId],
          responses: {
            '202': { description: 'Canceling' },
            '200': { description: 'The run had already ended; its status' },
            ...errorResponses('unauthorized', 'forbidden', 'not_found'),
          },
        },
      },
      '/v1/runs/{id}/events': {
        get: {
          summary: 'Replay the events after a seq, then follow the run live until it ends',
          parameters: [
            runId,
            { name: 'after', in: 'query', schema: { type: 'integer', minimum: -1, default: -1 } },
            {
              name: 'Last-Event-ID',
              in: 'header',
              schema: { type: 'integer' },
              description: 'SSE re-connect; same as after',
            },
          ],
          responses: {
            '200': { description: 'Events', content: streamContent },
            ...errorResponses('bad_request', 'unauthorized', 'forbidden', 'not_found'),
          },
        },
      },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        ErrorCode: { enum: Object.keys(ERROR_CATALOGUE) },
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: ref('ErrorCode'), message: { type: 'string' } },
            },
          },
        },
        RunStatus: { enum: ['running', 'succeeded', 'failed', 'timed_out', 'canceled', 'interrupted'] },
        ArgValue: { type: ['string', 'number', 'boolean'] },
        RunRequest: {
          type: 'object',
          required: ['task'],
          additionalProperties: false,
          properties: {
            task: { type: 'string' },
            args: { type: 'object', additionalProperties: ref('ArgValue') },
          },
        },
        Task: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            description: { type: 'string' },
            args: { type: 'object' },
            timeoutMs: { type: 'integer' },
            lock: { type: ['string', 'null'] },
          },
        },
        RunRecord: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            task: { type: 'string' },
            args: { type: 'object' },
            sub: { type: 'string' },
            status: ref('RunStatus'),
            exitCode: { type: ['integer', 'null'] },
            startedAt: { type: 'string', format: 'date-time' },
            endedAt: { type: ['string', 'null'], format: 'date-time' },
            durationMs: { type: ['integer', 'null'] },
            result: {},
            outputTruncated: { type: 'boolean' },
          },
        },
        RunEvent: {
          oneOf: [
            {
              type: 'object',
              properties: {
                type: { const: 'run' },
                seq: { type: 'integer' },
                id: { type: 'string' },
                task: { type: 'string' },
                args: { type: 'object' },
                startedAt: { type: 'string' },
              },
            },
            {
              type: 'object',
              properties: {
                type: { const: 'output' },
                seq: { type: 'integer' },
                stream: { enum: ['stdout', 'stderr'] },
                text: { type: 'string' },
              },
            },
            { type: 'object', properties: { type: { const: 'result' }, seq: { type: 'integer' }, data: {} } },
            {
              type: 'object',
              properties: {
                type: { const: 'end' },
                seq: { type: 'integer' },
                status: ref('RunStatus'),
                exitCode: { type: ['integer', 'null'] },
                durationMs: { type: 'integer' },
              },
            },
          ],
        },
      },
    },
  };
}
