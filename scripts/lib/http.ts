import http from 'node:http';

export interface HttpAnswer {
  status: number;
  body: string;
}

/**
 * One GET to <address>:<port> (127.0.0.1 unless given: a swarm node's address), optionally
 * with a Host header (Node does not resolve *.localhost).
 */
export function httpGet(
  port: number,
  urlPath: string,
  hostHeader?: string,
  timeoutMs = 3000,
  address = '127.0.0.1',
): Promise<HttpAnswer> {
  return get(
    { host: address, port, path: urlPath, headers: hostHeader ? { host: hostHeader } : {} },
    timeoutMs,
  );
}

/** One GET over a unix socket (the Docker engine's API); fails on a body over maxBytes. */
export function socketGet(
  socketPath: string,
  urlPath: string,
  timeoutMs = 3000,
  maxBytes = 64 * 2 ** 20,
): Promise<HttpAnswer> {
  return get({ socketPath, path: urlPath }, timeoutMs, maxBytes);
}

/** A page checked for its status keeps its first 64 KiB; a bounded body (maxBytes) must fit whole. */
function get(options: http.RequestOptions, timeoutMs: number, maxBytes?: number): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    // A fresh connection each time (agent: false): a check must not ride on a connection that
    // an earlier answer left open, to a worker nginx is about to retire.
    const req = http.get({ ...options, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (maxBytes === undefined) body += body.length < 65_536 ? chunk : '';
        else if ((body += chunk).length > maxBytes) req.destroy(new Error(`answer over ${maxBytes} bytes`));
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Pauses for a poll loop: 50 ms, then twice as long each time up to maxMs. A site that comes
 * up quickly is seen within ~50 ms, one that takes its time is not polled more than every maxMs.
 */
export function backoff(maxMs: number, firstMs = 50): () => Promise<void> {
  let next = firstMs;
  return () => {
    const pause = next;
    next = Math.min(maxMs, next * 2);
    return sleep(pause);
  };
}
