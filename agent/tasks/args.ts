import { z } from 'zod';
import { tenantIdProblem } from '../../scripts/lib/tenant.js';
import type { ArgSpec } from '../config/schema.js';

export type ArgValue = string | number | boolean;
export type ArgValues = Record<string, ArgValue>;
export type ArgsValidator = (
  input: unknown,
) => { ok: true; values: ArgValues } | { ok: false; message: string };

const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
/** Half a surrogate pair reaches a script as U+FFFD, so two different args would look alike. */
const LONE_SURROGATE = /[\ud800-\udfff]/u;
const DEFAULT_MAX_LENGTH = 1024;

function stringArg(name: string, spec: ArgSpec): z.ZodType<string> {
  let s = z.string({ error: `${name} must be a string` });
  s = s.max(
    spec.maxLength ?? DEFAULT_MAX_LENGTH,
    `${name} is longer than ${spec.maxLength ?? DEFAULT_MAX_LENGTH}`,
  );
  if (spec.minLength !== undefined) s = s.min(spec.minLength, `${name} is shorter than ${spec.minLength}`);
  if (spec.pattern !== undefined)
    s = s.regex(new RegExp(spec.pattern, 'u'), `${name} must match ${spec.pattern}`);
  return s
    .refine((v) => !CONTROL_CHARS.test(v), `${name} contains a control character`)
    .refine((v) => !LONE_SURROGATE.test(v), `${name} is not well-formed Unicode`);
}

function numberArg(name: string, spec: ArgSpec, integer: boolean): z.ZodType<number> {
  let n = z.number({ error: `${name} must be ${integer ? 'an integer' : 'a number'}` });
  if (integer) n = n.int(`${name} must be an integer`);
  if (spec.minimum !== undefined) n = n.min(spec.minimum, `${name} must be >= ${spec.minimum}`);
  if (spec.maximum !== undefined) n = n.max(spec.maximum, `${name} must be <= ${spec.maximum}`);
  return n;
}

function tenantArg(name: string, reserved: readonly string[]): z.ZodType<string> {
  return z
    .string({ error: `${name} must be a string` })
    .max(64, `${name} is not a valid tenant id (too long)`)
    .superRefine((v, ctx) => {
      const problem = tenantIdProblem(v, reserved);
      if (problem) ctx.addIssue({ code: 'custom', message: `${name}: ${problem}` });
    });
}

function argSchema(name: string, spec: ArgSpec, reserved: readonly string[]): z.ZodType<ArgValue> {
  let base: z.ZodType<ArgValue>;
  switch (spec.type) {
    case 'string':
      base = stringArg(name, spec);
      break;
    case 'integer':
    case 'number':
      base = numberArg(name, spec, spec.type === 'integer');
      break;
    case 'boolean':
      base = z.boolean({ error: `${name} must be true or false` });
      break;
    case 'tenant':
      base = tenantArg(name, reserved);
      break;
  }
  if (spec.enum) {
    const allowed = spec.enum;
    base = base.refine(
      (v) => allowed.includes(v as string | number),
      `${name} must be one of ${allowed.join(', ')}`,
    );
  }
  return base;
}

/**
 * Compiles a task's declared args once, at load. The validator refuses unknown,
 * missing and ill-typed args with a message naming the arg, and applies defaults.
 */
export function compileArgs(specs: Record<string, ArgSpec>, reserved: readonly string[] = []): ArgsValidator {
  const shape: Record<string, z.ZodType<ArgValue | undefined>> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const s = argSchema(name, spec, reserved);
    if (spec.default !== undefined) shape[name] = s.optional().default(spec.default);
    else shape[name] = spec.required ? s : s.optional();
  }
  const schema = z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown arg ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`
        : 'args must be a JSON object',
  });
  return (input) => {
    const parsed = schema.safeParse(input ?? {});
    if (parsed.success) {
      const values: ArgValues = {};
      for (const [k, v] of Object.entries(parsed.data)) if (v !== undefined) values[k] = v;
      return { ok: true, values };
    }
    const issue = parsed.error.issues[0];
    const key = issue.path.length === 1 ? String(issue.path[0]) : undefined;
    const missing = key !== undefined && (input as Record<string, unknown> | undefined)?.[key] === undefined;
    const message = missing ? `missing required arg ${key}` : issue.message;
    return { ok: false, message };
  };
}

/** Fills `{name}` placeholders of a lock template from validated args. */
export function lockKey(template: string, values: ArgValues): string {
  return template.replace(/\{([A-Za-z0-9_-]+)\}/g, (_, k: string) => String(values[k] ?? ''));
}
