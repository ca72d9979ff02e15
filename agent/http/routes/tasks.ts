import { Router } from 'express';
import type { AgentContext } from '../../context.js';
import { principalOf } from '../auth.js';

/** The tasks this token may run, with their declared args. */
export function tasksRouter(ctx: AgentContext): Router {
  const router = Router();
  router.get('/tasks', (_req, res) => {
    const who = principalOf(res);
    const tasks = [...ctx.config.tasks.values()]
      .filter((t) => who.scopes.canRun(t.name))
      .map((t) => ({
        name: t.name,
        description: t.description,
        args: t.args,
        timeoutMs: t.timeoutMs,
        lock: t.lock ?? null,
      }));
    res.json({ tasks });
  });
  return router;
}
