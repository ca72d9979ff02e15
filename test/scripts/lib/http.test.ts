import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoff, socketGet } from '../../../scripts/lib/http.js';

describe('backoff', () => {
  afterEach(() => vi.useRealTimers());

  it('waits 50 ms first, doubles, and stays at the cap', async () => {
    vi.useFakeTimers();
    const pause = backoff(300);
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const began = Date.now();
      const done = pause();
      await vi.runAllTimersAsync();
      await done;
      waits.push(Date.now() - began);
    }
    expect(waits).toEqual([50, 100, 200, 300, 300, 300]);
  });

  it('each poll loop has its own schedule', async () => {
    vi.useFakeTimers();
    const a = backoff(500);
    const b = backoff(500, 10);
    const began = Date.now();
    const both = Promise.all([a(), b()]);
    await vi.advanceTimersByTimeAsync(10);
    await vi.advanceTimersByTimeAsync(40);
    await both;
    expect(Date.now() - began).toBe(50);
  });
});

describe('socketGet', () => {
  it('returns a whole body up to maxBytes and refuses a longer one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-sock-'));
    const socket = path.join(dir, 's.sock');
    const body = 'x'.repeat(200_000); // over the 64 KiB a status check keeps
    const server = http.createServer((_, res) => res.end(body));
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      expect((await socketGet(socket, '/', 3000)).body).toHaveLength(200_000);
      await expect(socketGet(socket, '/', 3000, 100_000)).rejects.toThrow('answer over 100000 bytes');
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
