import winston from 'winston';

export type Logger = winston.Logger;

/** Keys whose values never reach a log line, wherever they appear. */
const SECRET_KEYS = /^(authorization|token|secret|password|privateKey|key)$/i;

const redact = winston.format((info) => {
  for (const k of Object.keys(info)) if (SECRET_KEYS.test(k)) info[k] = '[redacted]';
  return info;
});

/** JSON lines on stdout (and optionally a file), one object per request or run. */
export function createLogger(options: { level: string; file?: string; silent?: boolean }): Logger {
  const transports: winston.transport[] = [new winston.transports.Console({ silent: options.silent })];
  if (options.file)
    transports.push(new winston.transports.File({ filename: options.file, options: { mode: 0o600 } }));
  return winston.createLogger({
    level: options.level,
    format: winston.format.combine(redact(), winston.format.timestamp(), winston.format.json()),
    transports,
  });
}
