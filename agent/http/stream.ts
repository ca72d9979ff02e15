import type { Response } from 'express';
import type { RunEvent } from '../runs/types.js';

export const FORMATS = ['application/x-ndjson', 'text/event-stream', 'text/plain'] as const;
export type Format = (typeof FORMATS)[number];

const encoders: Record<Format, (e: RunEvent) => string | undefined> = {
  'application/x-ndjson': (e) => `${JSON.stringify(e)}\n`,
  'text/event-stream': (e) => `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`,
  'text/plain': (e) => (e.type === 'output' ? `${e.text}\n` : undefined),
};

/** Picks the stream format from the Accept header; ndjson when nothing matches. */
export function pickFormat(accepts: (types: string[]) => string | false): Format {
  return (accepts([...FORMATS]) || FORMATS[0]) as Format;
}

/** Opens a streamed response and returns a writer that sends each event at once. */
export function openStream(res: Response, format: Format): (e: RunEvent) => void {
  res.status(200);
  res.setHeader('Content-Type', format === 'text/plain' ? 'text/plain; charset=utf-8' : format);
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  const encode = encoders[format];
  return (e) => {
    const chunk = encode(e);
    if (chunk !== undefined && !res.writableEnded) res.write(chunk);
  };
}
