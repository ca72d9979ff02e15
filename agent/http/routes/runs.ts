import { Router, type Request, type Response } from 'express';
import type { AgentContext } from '../../context.js';
import { ApiError } from '../../errors.js';
import type { LiveRun } from '../../runs/run.js';
import { FINAL_STATUSES, type RunEvent, type RunRecord } from '../../runs/types.js';
import { principalOf } from '../auth.js';
import { openStream, pickFormat } from '../stream.js';

const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STATUSES = ['running', ...FINAL_STATUSES];

/** Sends the events after `after`, then follows a live run until its end event. */
function streamRun(ctx: AgentContext, req: Request, res: Response, id: string, after: number): void {
  const write = openStream(
    res,
    pickFormat((t) => req.accepts(t)),
  );
  const live = ctx.manager.live(id);
  if (!live) {
    ctx.store.events(id, after).forEach(write);
    res.end();
    return;
  }
  live.events.filter((e) => e.seq > after).forEach(write);
  const unsubscribe = live.subscribe((e: RunEvent) => {
    if (e.seq > after) write(e);
    if (e.type === 'end') res.end();
  });
  res.on('close', unsubscribe); // a client that goes away leaves the run running
}

function findRun(ctx: AgentContext, res: Response, id: string): RunRecord {
  const record = RUN_ID.test(id) ? (ctx.manager.live(id)?.record() ?? ctx.store.get(id)) : undefined;
  if (!record) throw new ApiError('not_found', `no run ${id}`);
  const who = principalOf(res);
  if (record.sub !== who.sub && !who.scopes.has('runs:read')) {
    throw new ApiError('forbidden', "reading another caller's run needs the runs:read scope");
  }
  return record;
}

function outputOf(events: readonly RunEvent[]): string {
  return events
    .filter((e) => e.type === 'output')
    .map((e) => (e as { text: string }).text)
    .join('\n');
}

function parseAfter(value: unknown): number {
  if (value === undefined) return -1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < -1) throw new ApiError('bad_request', 'after must be an integer >= -1');
  return n;
}

export function runsRouter(ctx: AgentContext): Router {
  const router = Router();

  router.post('/runs', (req, res) => {
    if (!req.is('application/json')) throw new ApiError('unsupported_media_type');
    const body = req.body as { task?: unknown; args?: unknown } | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new ApiError('bad_request', 'the body must be a JSON object {"task": ..., "args": {...}}');
    }
    const extra = Object.keys(body).filter((k) => k !== 'task' && k !== 'args');
    if (extra.length) throw new ApiError('bad_request', `unknown field ${JSON.stringify(extra[0])}`);
    if (typeof body.task !== 'string') throw new ApiError('bad_request', 'task must be a string');
    const who = principalOf(res);
    if (!who.scopes.canRun(body.task))
      throw new ApiError('forbidden', `the token does not grant task ${JSON.stringify(body.task)}`);
    const task = ctx.config.tasks.get(body.task);
    const validate = ctx.validators.get(body.task);
    if (!task || !validate) throw new ApiError('not_found', `no task ${JSON.stringify(body.task)}`);
    const checked = validate(body.args);
    if (!checked.ok) throw new ApiError('bad_request', checked.message);
    const run: LiveRun = ctx.manager.start(task, checked.values, who.sub);
    res.setHeader('Location', `/v1/runs/${run.id}`);
    if (req.query.wait === '0') {
      res.status(202).json({ id: run.id });
      return;
    }
    streamRun(ctx, req, res, run.id, -1);
  });

  router.get('/runs', (req, res) => {
    const { task, status, limit } = req.query;
    if (status !== undefined && !STATUSES.includes(String(status))) {
      throw new ApiError('bad_request', `status must be one of ${STATUSES.join(', ')}`);
    }
    const n = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 500) throw new ApiError('bad_request', 'limit must be 1..500');
    const who = principalOf(res);
    const runs = ctx.store.list({
      task: task === undefined ? undefined : String(task),
      status: status === undefined ? undefined : String(status),
      sub: who.scopes.has('runs:read') ? undefined : who.sub,
      limit: n,
    });
    res.json({ runs });
  });

  router.get('/runs/:id', (req, res) => {
    const record = findRun(ctx, res, req.params.id);
    const live = ctx.manager.live(record.id);
    res.json({ ...record, output: outputOf(live ? live.events : ctx.store.events(record.id, -1)) });
  });

  router.get('/runs/:id/events', (req, res) => {
    const record = findRun(ctx, res, req.params.id);
    const after = parseAfter(req.query.after ?? req.get('last-event-id'));
    streamRun(ctx, req, res, record.id, after);
  });

  router.delete('/runs/:id', (req, res) => {
    const record = findRun(ctx, res, req.params.id);
    const who = principalOf(res);
    if (record.sub !== who.sub && !who.scopes.has('runs:cancel')) {
      throw new ApiError('forbidden', "canceling another caller's run needs the runs:cancel scope");
    }
    if (ctx.manager.cancel(record.id)) res.status(202).json({ id: record.id, status: 'canceling' });
    else res.status(200).json({ id: record.id, status: record.status });
  });

  return router;
}
