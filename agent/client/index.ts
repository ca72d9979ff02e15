import { ndjson } from './ndjson.js';
import {
  ProbeError,
  RunFailedError,
  type ArgValue,
  type EndEvent,
  type OutputEvent,
  type ProvisionResult,
  type RunEvent,
  type RunOutcome,
  type RunRecord,
  type TaskInfo,
} from './types.js';

export * from './types.js';
export { createKeySigner } from './signer.js';

export interface ClientOptions {
  /** The agent's base URL, e.g. http://127.0.0.1:3050 */
  url: string;
  /** A fixed bearer token… */
  token?: string;
  /** …or a function that mints a short one for each call (see createKeySigner). */
  signer?: () => string | Promise<string>;
  /** How many times a dropped stream is re-attached before giving up (default 10). */
  reattachAttempts?: number;
}

export interface RunOptions {
  onOutput?: (event: OutputEvent) => void;
  onEvent?: (event: RunEvent) => void;
  /** Aborting detaches from the run; the run itself goes on (cancel it with runs.cancel). */
  signal?: AbortSignal;
  /** Resolve instead of throwing RunFailedError when the run does not succeed. */
  allowFailure?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A typed client for the agent. run() streams a run's events and, when the connection
 * drops, re-attaches with /events?after=<last seq>, so no output line is lost.
 * @example
 * const probe = createClient({ url: 'http://127.0.0.1:3050', token });
 * const { url } = await probe.provision('acme');
 */
export function createClient(options: ClientOptions) {
  const base = options.url.replace(/\/+$/, '');
  if (!options.token && !options.signer) throw new TypeError('createClient needs a token or a signer');
  const attempts = options.reattachAttempts ?? 10;

  async function request(
    method: string,
    path: string,
    init: { body?: unknown; accept?: string; signal?: AbortSignal } = {},
  ) {
    const token = options.token ?? (await options.signer!());
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: init.accept ?? 'application/json',
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.signal,
    });
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
      const { code = 'http_error', message = `HTTP ${res.status}`, ...details } = body.error ?? {};
      throw new ProbeError(code, message, res.status, details);
    }
    return res;
  }

  async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await (await request(method, path, { body })).json()) as T;
  }

  /** Follows one streamed response; returns the end event, or undefined when the stream broke. */
  async function follow(
    res: Response,
    state: { seq: number; result: unknown; id?: string },
    opts: RunOptions,
  ) {
    try {
      for await (const event of ndjson<RunEvent>(res.body!)) {
        if (event.seq <= state.seq) continue;
        state.seq = event.seq;
        opts.onEvent?.(event);
        if (event.type === 'run') state.id = event.id;
        else if (event.type === 'output') opts.onOutput?.(event);
        else if (event.type === 'result') state.result = event.data;
        else if (event.type === 'end') return event;
      }
    } catch (err) {
      if (opts.signal?.aborted) throw err;
    }
    return undefined;
  }

  async function run<R = unknown>(
    task: string,
    args: Record<string, ArgValue> = {},
    opts: RunOptions = {},
  ): Promise<RunOutcome<R>> {
    const state: { seq: number; result: unknown; id?: string } = { seq: -1, result: undefined };
    const first = await request('POST', '/v1/runs', {
      body: { task, args },
      accept: 'application/x-ndjson',
      signal: opts.signal,
    });
    state.id = first.headers.get('location')?.split('/').pop();
    let end: EndEvent | undefined = await follow(first, state, opts);
    for (let attempt = 1; !end; attempt++) {
      if (!state.id || attempt > attempts) {
        throw new ProbeError(
          'stream_lost',
          `lost the stream of run ${state.id ?? '(unknown)'} and could not re-attach`,
        );
      }
      await sleep(Math.min(200 * 2 ** (attempt - 1), 3000));
      try {
        const res = await request('GET', `/v1/runs/${state.id}/events?after=${state.seq}`, {
          accept: 'application/x-ndjson',
          signal: opts.signal,
        });
        end = await follow(res, state, opts);
      } catch (err) {
        if (
          opts.signal?.aborted ||
          (err instanceof ProbeError && err.status !== undefined && err.status < 500)
        )
          throw err;
      }
    }
    const outcome: RunOutcome<R> = { id: state.id!, end, result: state.result as R | undefined };
    if (end.status !== 'succeeded' && !opts.allowFailure) throw new RunFailedError(outcome);
    return outcome;
  }

  async function* events(
    id: string,
    opts: { after?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<RunEvent> {
    const res = await request('GET', `/v1/runs/${encodeURIComponent(id)}/events?after=${opts.after ?? -1}`, {
      accept: 'application/x-ndjson',
      signal: opts.signal,
    });
    yield* ndjson<RunEvent>(res.body!);
  }

  return {
    run,
    async provision(id: string, opts: RunOptions & { template?: string; restoreData?: boolean } = {}) {
      const { template, restoreData, ...rest } = opts;
      const args: Record<string, ArgValue> = { id };
      if (template !== undefined) args.template = template;
      if (restoreData !== undefined) args.restoreData = restoreData;
      return (await run<ProvisionResult>('provision', args, rest)).result!;
    },
    async teardown(id: string, opts: RunOptions & { keepData?: boolean } = {}) {
      const { keepData, ...rest } = opts;
      return (await run('teardown', keepData === undefined ? { id } : { id, keepData }, rest)).result;
    },
    async info(id?: string, opts: RunOptions = {}) {
      return (await run('info', id === undefined ? {} : { id }, opts)).result;
    },
    async tasks(): Promise<TaskInfo[]> {
      return (await json<{ tasks: TaskInfo[] }>('GET', '/v1/tasks')).tasks;
    },
    runs: {
      get: (id: string) => json<RunRecord>('GET', `/v1/runs/${encodeURIComponent(id)}`),
      list: (filter: { task?: string; status?: string; limit?: number } = {}) => {
        const q = new URLSearchParams(
          Object.entries(filter)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]): [string, string] => [k, String(v)]),
        );
        return json<{ runs: RunRecord[] }>('GET', `/v1/runs${q.size ? `?${q}` : ''}`).then((r) => r.runs);
      },
      events,
      cancel: (id: string) =>
        json<{ id: string; status: string }>('DELETE', `/v1/runs/${encodeURIComponent(id)}`),
    },
  };
}

export type ProbeClient = ReturnType<typeof createClient>;
