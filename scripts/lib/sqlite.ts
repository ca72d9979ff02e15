import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { sqlite } from './lazy.js';

/** How long a statement waits for another process's write lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 10_000;

/**
 * Opens a private SQLite file: the folder is 0700, the file and its -wal/-shm
 * companions are 0600 (a umask of 077 while SQLite creates them, then a chmod).
 */
export function openPrivateDb(
  dir: string,
  file: string,
  setup: (db: Database.Database) => void,
): Database.Database {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  const previous = setUmask(0o077);
  try {
    const db = new (sqlite())(file, { timeout: BUSY_TIMEOUT_MS });
    try {
      retryBusy(() => setup(db));
    } catch (err) {
      db.close();
      throw err;
    }
    for (const f of [file, `${file}-wal`, `${file}-shm`]) {
      if (fs.existsSync(f)) fs.chmodSync(f, 0o600);
    }
    return db;
  } finally {
    if (previous !== undefined) setUmask(previous);
  }
}

/** Worker threads may not change the umask; the chmod above then does the job alone. */
function setUmask(mask: number): number | undefined {
  try {
    return process.umask(mask);
  } catch {
    return undefined;
  }
}

/** Switching to WAL while another process creates the same file can report busy at once; retry briefly. */
function retryBusy(fn: () => void): void {
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (!code.startsWith('SQLITE_BUSY') || attempt >= 50) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20 + Math.random() * 30);
    }
  }
}

/**
 * Why a SQLite file could not be used, in words an operator acts on: a lock held by another
 * process, or a full disk (SQLite may call that a disk I/O error, when it cannot grow -shm).
 */
export function dbProblem(file: string, err: unknown): string {
  const code = (err as { code?: string }).code ?? '';
  const message = err instanceof Error ? err.message : String(err);
  if (code.startsWith('SQLITE_BUSY')) {
    return `${file} is locked by another process (waited ${BUSY_TIMEOUT_MS / 1000} s): ${message}`;
  }
  const free = freeBytes(path.dirname(file));
  const full = code === 'SQLITE_FULL' || (free !== undefined && free < 64 * 1024);
  return `${file} cannot be written: ${message}${full ? ` (no space left on the disk of ${path.dirname(file)})` : ''}`;
}

function freeBytes(dir: string): number | undefined {
  try {
    const stats = fs.statfsSync(dir);
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}
