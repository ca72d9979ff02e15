import { backoff, httpGet } from '../http.js';
import type { Runtime, Workload } from '../runtime/index.js';
import type { Log } from '../task.js';

/**
 * Waits until the app answers 2xx on its health path at <address>:<app port> (127.0.0.1 on
 * one host, the node's address on a cluster), within the template's timeout. Fails early
 * when one of the tenant's containers (or swarm tasks) has stopped with an error.
 */
export async function waitHealthy(
  runtime: Runtime,
  w: Workload,
  log: Log,
  address = '127.0.0.1',
): Promise<void> {
  const { path: healthPath, timeoutMs } = w.template.health;
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  let nextContainerCheck = Date.now() + 2000;
  const pause = backoff(500);
  for (;;) {
    try {
      const answer = await httpGet(w.ports.app, healthPath, undefined, 2000, address);
      if (answer.status >= 200 && answer.status < 300) {
        log(`${healthPath} answered ${answer.status}`);
        return;
      }
      last = `HTTP ${answer.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() >= nextContainerCheck) {
      await failIfExited(runtime, w.id);
      nextContainerCheck = Date.now() + 2000;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `${w.id} did not answer ${healthPath} with 2xx within ${timeoutMs / 1000}s (last: ${last})`,
      );
    }
    await pause();
  }
}

async function failIfExited(runtime: Runtime, id: string): Promise<void> {
  for (const c of await runtime.list(id)) {
    const code = /^Exited \((\d+)\)/.exec(c.status)?.[1];
    const failedTask = c.state === 'failed' || c.state === 'rejected';
    if (c.state === 'dead' || failedTask || (c.state === 'exited' && code !== '0')) {
      const tail = await runtime.logs(c.ref, 10).catch(() => []);
      throw new Error(
        `container ${c.name} (${c.service}) stopped: ${c.status}${tail.length ? `; last output: ${tail.join(' | ')}` : ''}`,
      );
    }
  }
}
