import Database from 'better-sqlite3';
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { ArgValues } from '../tasks/args.js';
import type { RunEnd, RunEvent, RunRecord, RunStatus } from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, task TEXT NOT NULL, args TEXT NOT NULL, sub TEXT NOT NULL,
  status TEXT NOT NULL, exit_code INTEGER, started_at TEXT NOT NULL, ended_at TEXT,
  duration_ms INTEGER, result TEXT, pid INTEGER, command TEXT, output_truncated INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS runs_by_start ON runs(started_at);
CREATE TABLE IF NOT EXISTS events (
  run_id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
`;

interface Row {
  id: string;
  task: string;
  args: string;
  sub: string;
  status: RunStatus;
  exit_code: number | null;
  started_at: string;
  ended_at: string | null;
  duration_ms: number | null;
  result: string | null;
  output_truncated: number;
}

export interface ListFilter {
  task?: string;
  status?: string;
  sub?: string;
  limit: number;
}

/** How soon a batch that could not be written is tried again, and the errors worth it. */
const RETRY_MS = 1000;
/**
 * How long events wait to be written together. Under load one transaction then carries the
 * events of many runs (half the store's CPU per run against one per tick, docs/benchmarks.md);
 * every read writes what is pending first, so no reader ever sees less.
 */
export const BATCH_MS = 10;
const TRANSIENT = /^SQLITE_(FULL|BUSY|LOCKED|IOERR)/;

/**
 * Run records and their events in SQLite (WAL). The run row is written at once, so a
 * run that cannot be recorded never starts; events and the end are batched into one
 * transaction every BATCH_MS, off the hot path.
 */
export class RunStore {
  private readonly db: Database.Database;
  private pending: (() => void)[] = [];
  private batch?: NodeJS.Timeout;
  private retry?: NodeJS.Timeout;
  private readonly stmts;
  /** Called when a batched write fails (disk full, locked database). */
  onWriteError: (err: Error) => void = () => {};

  constructor(stateDir: string) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    chmodSync(stateDir, 0o700); // a log file placed inside may have created it 0755 first
    const file = join(stateDir, 'runs.db');
    closeSync(openSync(file, 'a', 0o600)); // SQLite gives -wal and -shm the db file's mode
    this.db = new Database(file, { timeout: 5000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    this.stmts = {
      insert: this.db.prepare(
        `INSERT INTO runs (id, task, args, sub, status, started_at, command) VALUES (?, ?, ?, ?, 'running', ?, ?)`,
      ),
      setPid: this.db.prepare(`UPDATE runs SET pid = ? WHERE id = ?`),
      event: this.db.prepare(`INSERT INTO events (run_id, seq, body) VALUES (?, ?, ?)`),
      finish: this.db.prepare(
        `UPDATE runs SET status = ?, exit_code = ?, ended_at = ?, duration_ms = ?, result = ?, output_truncated = ?, pid = NULL WHERE id = ?`,
      ),
      get: this.db.prepare(`SELECT * FROM runs WHERE id = ?`),
      events: this.db.prepare(`SELECT body FROM events WHERE run_id = ? AND seq > ? ORDER BY seq`),
    };
  }

  /** Synchronous: throws when the record cannot be written (disk full, locked). */
  create(run: {
    id: string;
    task: string;
    args: ArgValues;
    sub: string;
    startedAt: string;
    command: string[];
  }) {
    this.stmts.insert.run(
      run.id,
      run.task,
      JSON.stringify(run.args),
      run.sub,
      run.startedAt,
      JSON.stringify(run.command),
    );
  }

  setPid(id: string, pid: number): void {
    this.enqueue(() => this.stmts.setPid.run(pid, id));
  }

  appendEvent(runId: string, event: RunEvent): void {
    this.enqueue(() => this.stmts.event.run(runId, event.seq, JSON.stringify(event)));
  }

  finish(id: string, end: RunEnd & { endedAt: string; outputTruncated: boolean }): void {
    this.enqueue(() =>
      this.stmts.finish.run(
        end.status,
        end.exitCode,
        end.endedAt,
        end.durationMs,
        end.result === undefined ? null : JSON.stringify(end.result),
        end.outputTruncated ? 1 : 0,
        id,
      ),
    );
  }

  get(id: string): RunRecord | undefined {
    this.flush();
    const row = this.stmts.get.get(id) as Row | undefined;
    return row && toRecord(row);
  }

  events(id: string, after: number): RunEvent[] {
    this.flush();
    return (this.stmts.events.all(id, after) as { body: string }[]).map(
      (r) => JSON.parse(r.body) as RunEvent,
    );
  }

  list(filter: ListFilter): RunRecord[] {
    this.flush();
    const where: string[] = [];
    const params: unknown[] = [];
    for (const key of ['task', 'status', 'sub'] as const) {
      if (filter[key] !== undefined) {
        where.push(`${key} = ?`);
        params.push(filter[key]);
      }
    }
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, rowid DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...params, filter.limit) as Row[]).map(toRecord);
  }

  /** At start: runs still `running` belong to a previous agent that died. Returns them with their pids. */
  markInterrupted(endedAt: string): { id: string; pid: number | null; command: string | null }[] {
    const rows = this.db.prepare(`SELECT id, pid, command FROM runs WHERE status = 'running'`).all() as {
      id: string;
      pid: number | null;
      command: string | null;
    }[];
    this.db
      .prepare(`UPDATE runs SET status = 'interrupted', ended_at = ?, pid = NULL WHERE status = 'running'`)
      .run(endedAt);
    return rows;
  }

  flush(): void {
    if (!this.pending.length) return;
    const batch = this.pending;
    this.pending = [];
    try {
      this.db.transaction(() => batch.forEach((op) => op()))();
    } catch (err) {
      // The transaction was rolled back. A full disk or a locked file passes: keep the batch,
      // in order, and try again shortly, so a run's end is delayed in the records, not lost.
      if (TRANSIENT.test((err as { code?: string }).code ?? '')) {
        this.pending = [...batch, ...this.pending];
        this.retryLater();
      }
      this.onWriteError(err as Error);
    }
  }

  close(): void {
    this.flush();
    clearTimeout(this.retry);
    clearTimeout(this.batch);
    this.db.close();
  }

  private retryLater(): void {
    if (this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.flush();
    }, RETRY_MS);
    this.retry.unref();
  }

  private enqueue(op: () => void): void {
    this.pending.push(op);
    this.batch ??= setTimeout(() => {
      this.batch = undefined;
      this.flush();
    }, BATCH_MS);
  }
}

function toRecord(row: Row): RunRecord {
  return {
    id: row.id,
    task: row.task,
    args: JSON.parse(row.args) as ArgValues,
    sub: row.sub,
    status: row.status,
    exitCode: row.exit_code,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    durationMs: row.duration_ms,
    result: row.result === null ? null : (JSON.parse(row.result) as unknown),
    outputTruncated: row.output_truncated === 1,
  };
}
