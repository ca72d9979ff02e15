import path from 'node:path';
import { openPrivateDb } from '../sqlite.js';

let inProcess: Promise<unknown> = Promise.resolve();

/**
 * Runs `fn` while holding the host-wide nginx lock: an exclusive transaction on
 * `<stateDir>/nginx.lock.db`. The OS drops the lock if the process dies, so a crash
 * never leaves nginx locked. Callers in one process queue up first, since SQLite's
 * busy wait would block the very event loop that has to finish the holder's work.
 */
export function withNginxLock<T>(stateDir: string, fn: () => Promise<T>): Promise<T> {
  const next = inProcess.then(() => holdLock(stateDir, fn));
  inProcess = next.catch(() => undefined);
  return next;
}

async function holdLock<T>(stateDir: string, fn: () => Promise<T>): Promise<T> {
  const db = openPrivateDb(stateDir, path.join(stateDir, 'nginx.lock.db'), (d) =>
    d.pragma('busy_timeout = 60000'),
  );
  try {
    db.exec('BEGIN EXCLUSIVE');
    try {
      return await fn();
    } finally {
      db.exec('ROLLBACK');
    }
  } finally {
    db.close();
  }
}
