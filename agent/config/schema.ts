import { z } from 'zod';
import { parseDuration, parseSize } from './duration.js';

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `not a duration: ${JSON.stringify(v)} (use e.g. 30s, 15m, 1h)` });
    return z.NEVER;
  }
  return ms;
});

const size = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const bytes = parseSize(v);
  if (bytes === undefined) {
    ctx.addIssue({ code: 'custom', message: `not a size: ${JSON.stringify(v)} (use e.g. 64kb, 1mb)` });
    return z.NEVER;
  }
  return bytes;
});

const argName = /^[a-z][a-zA-Z0-9_-]{0,39}$/;
export const TASK_NAME = /^[a-z][a-z0-9-]{0,63}$/;

const argSpec = z.strictObject({
  type: z.enum(['string', 'integer', 'number', 'boolean', 'tenant']),
  description: z.string().optional(),
  required: z.boolean().default(false),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  pattern: z.string().optional(),
  enum: z
    .array(z.union([z.string(), z.number()]))
    .min(1)
    .optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
  minLength: z.number().int().min(0).optional(),
  maxLength: z.number().int().min(1).max(65536).optional(),
});
export type ArgSpec = z.output<typeof argSpec>;

const task = z.strictObject({
  description: z.string().default(''),
  command: z.array(z.string().min(1)).min(1),
  args: z
    .record(z.string().regex(argName, 'arg names are lower camel or kebab case, 1-40 chars'), argSpec)
    .default({}),
  timeout: duration.default(60_000),
  killGrace: duration.optional(),
  lock: z.string().optional(),
  env: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'env names are upper case'), z.string()).default({}),
  hosting: z.boolean().default(false),
});
export type TaskSpec = z.output<typeof task>;

const algorithm = z.enum([
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
]);

const nginx = z.strictObject({
  confDir: z.string(),
  listen: z.number().int().min(1).max(65535).default(80),
  test: z.array(z.string()).min(1).default(['nginx', '-t']),
  reload: z.array(z.string()).min(1).default(['nginx', '-s', 'reload']),
  vhostTemplate: z.string().optional(),
  logDir: z.string().default('/var/log/nginx'),
});

const swarmNode = z.strictObject({
  docker: z
    .string()
    .regex(/^(unix|tcp|ssh):\/\/\S+$/, 'a docker endpoint such as unix:///run/docker.sock or ssh://host')
    .optional(),
  address: z
    .string()
    .regex(/^[A-Za-z0-9.:-]{1,253}$/, 'an IP address or host name')
    .optional(),
});

const swarm = z.strictObject({
  nodes: z
    .record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/, 'node keys are node host names'), swarmNode)
    .default({}),
  constraints: z
    .array(z.string().regex(/^[\w.-]+\s*(==|!=)\s*\S+$/, 'e.g. node.labels.tier == web'))
    .default([]),
  limits: z
    .strictObject({
      memory: z
        .string()
        .regex(/^\d+[kKmMgG]$/, 'e.g. 512M or 1G')
        .default('512M'),
      cpus: z.number().positive().max(256).default(1),
    })
    .prefault({}),
});

const hosting = z.strictObject({
  domain: z.string().regex(/^(?=.{1,200}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/),
  defaultTemplate: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/)
    .default('demo'),
  templatesDir: z.string().default('./templates'),
  ports: z
    .strictObject({ from: z.number().int().min(1024).max(65535), to: z.number().int().min(1024).max(65535) })
    .refine((p) => p.from < p.to, 'ports.from must be below ports.to'),
  reserved: z.array(z.string()).default(['www', 'api', 'admin', 'mail', 'probe']),
  runtime: z.enum(['compose', 'swarm']).default('compose'),
  swarm: swarm.optional(),
  nginx,
});

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(3050),
      bodyLimit: size.default(64 * 1024),
      maxConcurrentRuns: z.number().int().min(1).max(10_000).default(32),
      rateLimit: z.strictObject({ perMinute: z.number().int().min(1) }).optional(),
      cors: z.strictObject({ origins: z.array(z.string()).min(1) }).optional(),
      trustProxy: z.union([z.boolean(), z.string(), z.number()]).default(false),
    })
    .prefault({}),
  stateDir: z.string().default('../var'),
  log: z
    .strictObject({
      level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
      file: z.string().optional(),
      requests: z.boolean().default(true),
    })
    .prefault({}),
  auth: z.strictObject({
    algorithms: z.array(algorithm).min(1),
    secretFile: z.string().optional(),
    publicKeyFile: z.string().optional(),
    privateKeyFile: z.string().optional(),
    keyId: z.string().optional(),
    issuer: z.string().optional(),
    audience: z.string().optional(),
    maxTtl: duration.default(3_600_000),
  }),
  metrics: z.strictObject({ public: z.boolean().default(false) }).prefault({}),
  runs: z
    .strictObject({
      maxOutputBytes: size.default(1024 * 1024),
      killGrace: duration.default(5000),
    })
    .prefault({}),
  tasks: z.record(z.string().regex(TASK_NAME, 'task names match ^[a-z][a-z0-9-]{0,63}$'), task),
  hosting: hosting.optional(),
});

export type RawConfig = z.output<typeof configSchema>;
