import { serverName } from '../hosting.js';
import { backoff, httpGet } from '../http.js';
import type { HostingSettings } from '../settings.js';
import type { Log } from '../task.js';

/**
 * Asks nginx for the tenant's home page, the way a visitor would (Host <id>.<domain>),
 * and expects 2xx or 3xx. Retries briefly: nginx applies a reload asynchronously.
 */
export async function verifyServed(
  settings: HostingSettings,
  id: string,
  log: Log,
  timeoutMs = 15_000,
): Promise<void> {
  const host = serverName(settings, id);
  const port = settings.nginx.listen;
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  const pause = backoff(50, 10); // a reload applies within milliseconds, or ~0.1 s with 1,000 vhosts
  for (;;) {
    try {
      const answer = await httpGet(port, '/', host, 3000);
      if (answer.status >= 200 && answer.status < 400) {
        log(`GET http://${host}:${port}/ via 127.0.0.1 answered ${answer.status}`);
        return;
      }
      last = `HTTP ${answer.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() >= deadline)
      throw new Error(`GET / with Host ${host} on 127.0.0.1:${port} failed: ${last}`);
    await pause();
  }
}
