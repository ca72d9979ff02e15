import type { ArgValues } from '../tasks/args.js';
import type { RunStore } from './store.js';
import type { RunEnd, RunEvent, RunRecord } from './types.js';

export const RESULT_PREFIX = '::result:: ';

type Listener = (event: RunEvent) => void;

/**
 * A run while it is live: it numbers its events, keeps them (up to the output cap)
 * for clients that attach late, persists them, and fans them out to listeners.
 */
export class LiveRun {
  readonly events: RunEvent[] = [];
  private readonly listeners = new Set<Listener>();
  private seq = 0;
  private outputBytes = 0;
  truncated = false;
  result: unknown = undefined;
  end?: RunEnd;

  constructor(
    readonly id: string,
    readonly task: string,
    readonly args: ArgValues,
    readonly sub: string,
    readonly startedAt: string,
    private readonly store: RunStore,
    private readonly maxOutputBytes: number,
  ) {
    this.push({ type: 'run', seq: 0, id, task, args, startedAt });
  }

  /** Takes a line from the process; a `::result::` line on stdout becomes the result. */
  line(stream: 'stdout' | 'stderr', text: string): void {
    if (stream === 'stdout' && text.startsWith(RESULT_PREFIX)) {
      try {
        this.result = JSON.parse(text.slice(RESULT_PREFIX.length));
        this.push({ type: 'result', seq: ++this.seq, data: this.result });
        return;
      } catch {
        /* not JSON: an ordinary line */
      }
    }
    if (!this.truncated) {
      this.outputBytes += Buffer.byteLength(text) + 1;
      if (this.outputBytes <= this.maxOutputBytes) {
        this.push({ type: 'output', seq: ++this.seq, stream, text });
        return;
      }
      this.truncated = true;
      this.push({
        type: 'output',
        seq: ++this.seq,
        stream: 'stderr',
        text: `[probe: output truncated after ${this.maxOutputBytes} bytes; later lines are streamed, not kept]`,
      });
    }
    this.notify({ type: 'output', seq: ++this.seq, stream, text });
  }

  finish(end: RunEnd): RunEvent {
    this.end = { ...end, result: this.result };
    const event: RunEvent = {
      type: 'end',
      seq: ++this.seq,
      status: end.status,
      exitCode: end.exitCode,
      durationMs: end.durationMs,
    };
    this.push(event);
    this.listeners.clear();
    return event;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  record(): RunRecord {
    return {
      id: this.id,
      task: this.task,
      args: this.args,
      sub: this.sub,
      status: this.end?.status ?? 'running',
      exitCode: this.end?.exitCode ?? null,
      startedAt: this.startedAt,
      endedAt: null,
      durationMs: this.end?.durationMs ?? null,
      result: this.result ?? null,
      outputTruncated: this.truncated,
    };
  }

  private push(event: RunEvent): void {
    this.events.push(event);
    this.store.appendEvent(this.id, event);
    this.notify(event);
  }

  private notify(event: RunEvent): void {
    for (const l of this.listeners) l(event);
  }
}
