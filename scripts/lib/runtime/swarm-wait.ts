import type { Log } from '../task.js';
import { stackTasks } from './swarm-tasks.js';

/** Task states from which swarm will not get this task running. */
const FATAL = new Set(['failed', 'rejected']);

/**
 * Polls the stack's tasks until every service has one running, printing each change of
 * state as it happens (`app.1 on probe-w1: preparing`). A failed or rejected task ends
 * the wait at once with its error, and so does the time limit.
 */
export async function waitTasksRunning(
  id: string,
  services: string[],
  timeoutMs: number,
  log: Log,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const shown = new Map<string, string>();
  for (;;) {
    const tasks = await stackTasks(id);
    for (const t of tasks) {
      const line = `${t.service}${t.name.slice(t.name.lastIndexOf('.'))}${t.node ? ` on ${t.node}` : ''}: ${t.state}`;
      if (shown.get(t.name) !== line) log(line);
      shown.set(t.name, line);
      if (FATAL.has(t.state)) throw new Error(`task ${t.name} ${t.status}`);
    }
    const running = new Set(tasks.filter((t) => t.state === 'running').map((t) => t.service));
    const waiting = services.filter((s) => !running.has(s));
    if (!waiting.length) return;
    if (Date.now() >= deadline) {
      const states = tasks.map((t) => `${t.name} ${t.status}`).join('; ');
      throw new Error(
        `${waiting.join(', ')} not running within ${timeoutMs / 1000}s (${states || 'no tasks'})`,
      );
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
