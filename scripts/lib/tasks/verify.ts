import { serverName } from '../hosting.js';
import { backoff, httpGet, sleep } from '../http.js';
import type { HostingSettings } from '../settings.js';
import type { Log } from '../task.js';

/**
 * Answers in a row, each on a fresh connection STREAK_GAP_MS apart, that make a site live. Right
 * after a reload, workers of the previous configuration accept connections until they have
 * handled their shutdown signal, and answer a new host from the catch-all server (444): one good
 * answer from a new worker does not yet mean every visitor gets one.
 */
export const STREAK = 3;
export const STREAK_GAP_MS = 20;

/**
 * Asks nginx for the tenant's home page, the way a visitor would (Host <id>.<domain>), and
 * expects 2xx or 3xx STREAK times in a row. Retries briefly: nginx applies a reload asynchronously.
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
  let streak = 0;
  const pause = backoff(50, 10); // a reload applies within milliseconds, or ~0.2 s with 1,000 vhosts
  for (;;) {
    try {
      const answer = await httpGet(port, '/', host, 3000);
      if (answer.status >= 200 && answer.status < 400) {
        if (++streak === STREAK) {
          log(
            `GET http://${host}:${port}/ via 127.0.0.1 answered ${answer.status}, ${STREAK} times in a row`,
          );
          return;
        }
        await sleep(STREAK_GAP_MS);
        continue;
      }
      last = `HTTP ${answer.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    streak = 0;
    if (Date.now() >= deadline)
      throw new Error(`GET / with Host ${host} on 127.0.0.1:${port} failed: ${last}`);
    await pause();
  }
}
