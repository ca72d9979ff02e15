import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BATCH_MS, RunStore } from '../../../agent/runs/store.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RunStore batching', () => {
  let dir: string;
  let store: RunStore;
  /** A second connection: what another process (or a crash) would find on disk. */
  let disk: Database.Database;
  const onDisk = () => (disk.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-store-'));
    store = new RunStore(dir);
    disk = new Database(path.join(dir, 'runs.db'), { readonly: true });
    store.create({
      id: 'r1',
      task: 't',
      args: {},
      sub: 's',
      startedAt: new Date().toISOString(),
      command: ['x'],
    });
  });
  afterEach(() => {
    disk.close();
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const output = (seq: number) => ({
    type: 'output' as const,
    seq,
    stream: 'stdout' as const,
    text: `line ${seq}\n`,
  });

  it('writes the run row at once and the events of one batch together, within BATCH_MS', async () => {
    expect(store.get('r1')?.status).toBe('running');
    for (let seq = 1; seq <= 50; seq++) store.appendEvent('r1', output(seq));
    expect(onDisk()).toBe(0); // not yet: one transaction will carry them all
    await sleep(BATCH_MS * 5);
    expect(onDisk()).toBe(50);
  });

  it('a read sees every event appended before it, even inside the batch window', () => {
    store.appendEvent('r1', output(1));
    store.appendEvent('r1', output(2));
    expect(store.events('r1', 0).map((e) => e.seq)).toEqual([1, 2]);
    expect(store.events('r1', 1).map((e) => e.seq)).toEqual([2]);
    expect(onDisk()).toBe(2);
  });

  it('the end of a run is recorded by the batch, and close writes what is pending', () => {
    store.appendEvent('r1', output(1));
    store.finish('r1', {
      status: 'succeeded',
      exitCode: 0,
      durationMs: 5,
      result: { ok: true },
      endedAt: new Date().toISOString(),
      outputTruncated: false,
    });
    store.close();
    const row = disk.prepare('SELECT status, result FROM runs WHERE id = ?').get('r1') as {
      status: string;
      result: string;
    };
    expect(row).toEqual({ status: 'succeeded', result: '{"ok":true}' });
    expect(onDisk()).toBe(1);
    store = new RunStore(dir); // for afterEach
  });
});
