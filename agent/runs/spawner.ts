import { spawn, type ChildProcess } from 'node:child_process';
import { SPAWNER_PROGRAM } from './spawner-program.js';

export type Stream = 'stdout' | 'stderr';

/** What the spawner reports about one task process, in this order. */
export interface SpawnEvents {
  pid(pid: number): void;
  output(stream: Stream, chunk: Buffer): void;
  end(stream: Stream): void;
  exit(code: number | null, signal: NodeJS.Signals | null): void;
  /** The pipes are closed (or were given up after the drain time): the last event. */
  close(): void;
  /** The process could not start, or the spawner went away under it: the last event. */
  error(message: string, started: boolean): void;
}

type Message =
  | { t: 'pid'; id: number; pid: number }
  | { t: 'out'; id: number; s: 1 | 2; c: string }
  | { t: 'end'; id: number; s: 1 | 2 }
  | { t: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null }
  | { t: 'close'; id: number }
  | { t: 'error'; id: number; error: string };

interface Helper {
  child: ChildProcess & { channel?: { ref(): void; unref(): void } | null };
  live: Map<number, { events: SpawnEvents; started: boolean }>;
}

const streamOf = (s: 1 | 2): Stream => (s === 1 ? 'stdout' : 'stderr');

/**
 * Starts task processes from a small helper process rather than from the agent itself.
 * Spawning forks the caller, and a fork costs in proportion to the caller's memory: the
 * helper is a fraction of the agent's size, and it waits out each fork and exec instead
 * of the agent's event loop. The helper starts on first use, keeps the agent alive only
 * while tasks run, and is replaced if it ever goes away.
 */
export class Spawner {
  private helper?: Helper;
  private nextId = 1;

  constructor(private readonly drainMs: number) {}

  /** Starts the helper now, so that the first run does not wait for it. */
  warm(): void {
    this.ensure();
  }

  spawn(command: readonly string[], env: Record<string, string>, events: SpawnEvents): void {
    const helper = this.ensure();
    const id = this.nextId++;
    helper.live.set(id, { events, started: false });
    if (helper.live.size === 1) setRef(helper, true);
    helper.child.send({ t: 'spawn', id, command, env });
  }

  private ensure(): Helper {
    if (this.helper) return this.helper;
    // JSON messages: the V8 serializer ('advanced') costs twice as much per message
    const child = spawn(process.execPath, ['-e', SPAWNER_PROGRAM, String(this.drainMs)], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      detached: true,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const helper: Helper = { child, live: new Map() };
    child.on('message', (m: Message) => this.onMessage(helper, m));
    const gone = () => this.onGone(helper);
    child.once('disconnect', gone);
    child.once('exit', gone);
    child.on('error', () => {
      gone();
      child.kill('SIGKILL');
    });
    setRef(helper, false);
    this.helper = helper;
    return helper;
  }

  private onMessage(helper: Helper, m: Message): void {
    const entry = helper.live.get(m.id);
    if (!entry) return;
    const { events } = entry;
    switch (m.t) {
      case 'pid':
        entry.started = true;
        return events.pid(m.pid);
      case 'out':
        return events.output(streamOf(m.s), Buffer.from(m.c, 'latin1'));
      case 'end':
        return events.end(streamOf(m.s));
      case 'exit':
        return events.exit(m.code, m.signal);
      case 'close':
      case 'error':
        helper.live.delete(m.id);
        if (!helper.live.size) setRef(helper, false);
        return m.t === 'close' ? events.close() : events.error(m.error, entry.started);
    }
  }

  /** The helper went away: the next spawn starts a new one; the runs it held end here. */
  private onGone(helper: Helper): void {
    if (this.helper === helper) this.helper = undefined;
    const live = [...helper.live.values()];
    helper.live.clear();
    setRef(helper, false);
    for (const { events, started } of live) events.error('the process spawner stopped', started);
  }
}

function setRef(helper: Helper, on: boolean): void {
  if (on) {
    helper.child.ref();
    helper.child.channel?.ref();
  } else {
    helper.child.unref();
    helper.child.channel?.unref();
  }
}
