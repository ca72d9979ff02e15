import path from 'node:path';
import type Database from 'better-sqlite3';
import { isPortFree } from './ports.js';
import { openPrivateDb } from './sqlite.js';
import { EXIT, TaskError } from './task.js';

export type TenantStatus = 'provisioning' | 'running' | 'failed' | 'deleting';

export interface TenantRow {
  id: string;
  template: string;
  appPort: number;
  dbPort: number;
  status: TenantStatus;
  url: string | null;
  node: string | null;
  dataKey: string;
  createdAt: string;
  updatedAt: string;
}

export interface KeptData {
  id: string;
  dataKey: string;
  template: string;
  keptAt: string;
}

export interface PortRange {
  from: number;
  to: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tenants (
  id TEXT PRIMARY KEY,
  template TEXT NOT NULL,
  app_port INTEGER NOT NULL UNIQUE,
  db_port INTEGER NOT NULL UNIQUE,
  status TEXT NOT NULL CHECK (status IN ('provisioning', 'running', 'failed', 'deleting')),
  url TEXT,
  node TEXT,
  data_key TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS kept_data (
  id TEXT NOT NULL,
  data_key TEXT NOT NULL,
  template TEXT NOT NULL,
  kept_at TEXT NOT NULL,
  PRIMARY KEY (id, data_key)
);`;

const SELECT_TENANT = `SELECT id, template, app_port AS appPort, db_port AS dbPort, status, url, node,
  data_key AS dataKey, created_at AS createdAt, updated_at AS updatedAt FROM tenants`;

/** The tenant registry: which tenants exist, their ports, status and data key. */
export class Registry {
  private constructor(private readonly db: Database.Database) {}

  /** Opens (creating if needed) `<stateDir>/registry.db`. */
  static open(stateDir: string): Registry {
    const db = openPrivateDb(stateDir, path.join(stateDir, 'registry.db'), (d) => {
      d.pragma('journal_mode = WAL');
      d.exec(SCHEMA);
    });
    return new Registry(db);
  }

  close(): void {
    this.db.close();
  }

  get(id: string): TenantRow | undefined {
    return this.db.prepare(`${SELECT_TENANT} WHERE id = ?`).get(id) as TenantRow | undefined;
  }

  all(): TenantRow[] {
    return this.db.prepare(`${SELECT_TENANT} ORDER BY id`).all() as TenantRow[];
  }

  /**
   * Creates the tenant row (status provisioning) with the first two free ports of the range.
   * The whole read-probe-insert runs under one write lock (BEGIN IMMEDIATE), so processes
   * allocating at the same time never get the same port. A port some foreign process
   * listens on is skipped.
   */
  async allocate(
    tenant: { id: string; template: string; dataKey: string },
    range: PortRange,
    isFree: (port: number) => Promise<boolean> = isPortFree,
  ): Promise<TenantRow> {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      if (this.get(tenant.id)) throw new TaskError(`tenant ${tenant.id} already exists`, EXIT.exists);
      const [app, db] = await this.firstFreePorts(range, 2, isFree);
      const now = new Date().toISOString();
      this.db
        .prepare(
          `INSERT INTO tenants (id, template, app_port, db_port, status, data_key, created_at, updated_at)
           VALUES (?, ?, ?, ?, 'provisioning', ?, ?, ?)`,
        )
        .run(tenant.id, tenant.template, app, db, tenant.dataKey, now, now);
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
    return this.get(tenant.id) as TenantRow;
  }

  private async firstFreePorts(range: PortRange, count: number, isFree: (p: number) => Promise<boolean>) {
    const used = new Set<number>();
    for (const r of this.db.prepare('SELECT app_port AS a, db_port AS d FROM tenants').all() as {
      a: number;
      d: number;
    }[]) {
      used.add(r.a).add(r.d);
    }
    const found: number[] = [];
    for (let port = range.from; port <= range.to && found.length < count; port++) {
      if (!used.has(port) && (await isFree(port))) found.push(port);
    }
    if (found.length < count) {
      throw new TaskError(`no free ports left in ${range.from}-${range.to} (need ${count})`);
    }
    return found;
  }

  setStatus(id: string, status: TenantStatus): void {
    this.db.prepare('UPDATE tenants SET status = ?, updated_at = ? WHERE id = ?').run(status, now(), id);
  }

  setUrl(id: string, url: string | null): void {
    this.db.prepare('UPDATE tenants SET url = ?, updated_at = ? WHERE id = ?').run(url, now(), id);
  }

  /** Deletes the row, which frees its ports. */
  release(id: string): void {
    this.db.prepare('DELETE FROM tenants WHERE id = ?').run(id);
  }

  /** Records volumes kept by `teardown keepData=true`, so a later deploy can reattach them. */
  keepData(record: Omit<KeptData, 'keptAt'>): void {
    this.db
      .prepare('INSERT OR REPLACE INTO kept_data (id, data_key, template, kept_at) VALUES (?, ?, ?, ?)')
      .run(record.id, record.dataKey, record.template, now());
  }

  /** The most recently kept data of a tenant id, if any. */
  keptData(id: string): KeptData | undefined {
    return this.db
      .prepare(
        `SELECT id, data_key AS dataKey, template, kept_at AS keptAt FROM kept_data
         WHERE id = ? ORDER BY kept_at DESC, rowid DESC LIMIT 1`,
      )
      .get(id) as KeptData | undefined;
  }

  allKeptData(): KeptData[] {
    return this.db
      .prepare('SELECT id, data_key AS dataKey, template, kept_at AS keptAt FROM kept_data ORDER BY id')
      .all() as KeptData[];
  }

  consumeKeptData(id: string, dataKey: string): void {
    this.db.prepare('DELETE FROM kept_data WHERE id = ? AND data_key = ?').run(id, dataKey);
  }
}

function now(): string {
  return new Date().toISOString();
}
