import winston from 'winston';

export type Logger = winston.Logger;

/** Keys whose values never reach a log line, wherever they appear. */
const SECRET_KEYS = /^(authorization|token|secret|password|privateKey|key)$/i;

/** A copy of a log value with every secret-named key redacted, at any depth. */
function scrub(value: unknown, depth = 0): unknown {
  if (!value || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.test(k) ? '[redacted]' : scrub(v, depth + 1)]),
  );
}

const redact = winston.format((info) => {
  for (const k of Object.keys(info)) info[k] = SECRET_KEYS.test(k) ? '[redacted]' : scrub(info[k]);
  return info;
});

/** JSON lines on stdout (and optionally a file), one object per request or run. */
export function createLogger(options: { level: string; file?: string; silent?: boolean }): Logger {
  const transports: winston.transport[] = [new winston.transports.Console({ silent: options.silent })];
  if (options.file)
    transports.push(
      new winston.transports.File({ filename: options.file, options: { flags: 'a', mode: 0o600 } }),
    );
  return winston.createLogger({
    level: options.level,
    format: winston.format.combine(redact(), winston.format.timestamp(), winston.format.json()),
    transports,
  });
}
