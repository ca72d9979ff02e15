import http from 'node:http';

export interface Answer {
  status: number;
  body: string;
}

/** One request to 127.0.0.1:<port> with a Host header, as a browser would send to <id>.<domain>. */
export function request(
  port: number,
  host: string,
  method: string,
  urlPath: string,
  json?: unknown,
): Promise<Answer> {
  const body = json === undefined ? undefined : JSON.stringify(json);
  const headers: Record<string, string> = { host };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  return new Promise((resolve, reject) => {
    const req = http.request(
      // A fresh connection each time: nginx may close an idle kept-alive one during a reload.
      { host: '127.0.0.1', port, method, path: urlPath, headers, timeout: 5000, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Retries a GET until it answers 200 or the time is up; returns the last answer. */
export async function getWhenReady(
  port: number,
  host: string,
  urlPath: string,
  timeoutMs = 30_000,
): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  let last: Answer = { status: 0, body: 'no answer' };
  while (Date.now() < deadline) {
    last = await request(port, host, 'GET', urlPath).catch((err: Error) => ({
      status: 0,
      body: err.message,
    }));
    if (last.status === 200) return last;
    await new Promise((r) => setTimeout(r, 300));
  }
  return last;
}
