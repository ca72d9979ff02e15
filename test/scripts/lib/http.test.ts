import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoff } from '../../../scripts/lib/http.js';

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
