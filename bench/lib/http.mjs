// A streaming POST /v1/runs client on node:http (keep-alive), timing what arrives.
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/**
 * Starts a run and streams its answer; onChunk gets each decoded body chunk as it arrives.
 * Resolves with the status when the answer ends.
 * @param {{ url: string, token: string }} target the agent
 * @param {{ task: string, args?: Record<string, unknown> }} body
 * @param {string} accept
 * @param {(text: string) => void} onChunk
 */
export function streamRun(target, body, accept, onChunk, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${target.url}/v1/runs`,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${target.token}`,
          'content-type': 'application/json',
          accept,
        },
        timeout: timeoutMs,
      },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', onChunk);
        res.on('end', () => resolve(res.statusCode));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** Splits a stream of text into lines, calling onLine for each complete one. */
export function lineReader(onLine) {
  let rest = '';
  return (chunk) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) onLine(p);
  };
}
