import path from 'node:path';
import type Database from 'better-sqlite3';
import { isPortFree } from './ports.js';
import { dbProblem, openPrivateDb } from './sqlite.js';
import { EXIT, TaskError } from './task.js';
import {
  SCHEMA,
  SELECT_TENANT,
  type KeptData,
  type NodeChoice,
  type PortRange,
  type TenantRow,
  type TenantStatus,
} from './registry-schema.js';

export type { KeptData, NodeChoice, PortRange, TenantRow, TenantStatus } from './registry-schema.js';

/** The tenant registry: which tenants exist, their ports, status and data key. */
export class Registry {
  private constructor(
    private readonly db: Database.Database,
    private readonly file: string,
  ) {}

  /** Opens (creating if needed) `<stateDir>/registry.db`; a failure is one clear task error. */
  static open(stateDir: string): Registry {
    const file = path.join(stateDir, 'registry.db');
    try {
      const db = openPrivateDb(stateDir, file, (d) => {
        d.pragma('journal_mode = WAL');
        d.exec(SCHEMA);
      });
      return new Registry(db, file);
    } catch (err) {
      throw new TaskError(`the tenant registry ${dbProblem(file, err)}`, EXIT.failed, { cause: err });
    }
  }

  /** Runs a write; a lock held too long or a full disk becomes one clear task error. */
  private write<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof TaskError) throw err;
      throw new TaskError(`the tenant registry ${dbProblem(this.file, err)}`, EXIT.failed, { cause: err });
    }
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
   * listens on is skipped. The node, when chosen from the load, is chosen under the same lock.
   */
  async allocate(
    tenant: { id: string; template: string; dataKey: string; node?: NodeChoice },
    range: PortRange,
    isFree: (port: number) => Promise<boolean> = isPortFree,
  ): Promise<TenantRow> {
    this.write(() => this.db.exec('BEGIN IMMEDIATE'));
    try {
      if (this.get(tenant.id)) throw new TaskError(`tenant ${tenant.id} already exists`, EXIT.exists);
      const [app, db] = await this.firstFreePorts(range, 2, isFree);
      const node = typeof tenant.node === 'function' ? tenant.node(this.nodeLoad()) : (tenant.node ?? null);
      const now = new Date().toISOString();
      this.write(() => {
        this.db
          .prepare(
            `INSERT INTO tenants (id, template, app_port, db_port, status, node, data_key, created_at, updated_at)
             VALUES (?, ?, ?, ?, 'provisioning', ?, ?, ?, ?)`,
          )
          .run(tenant.id, tenant.template, app, db, node, tenant.dataKey, now, now);
        this.db.exec('COMMIT');
      });
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

  /** Tenants pinned to each node: what placement balances. */
  nodeLoad(): Record<string, number> {
    const rows = this.db
      .prepare('SELECT node, COUNT(*) AS n FROM tenants WHERE node IS NOT NULL GROUP BY node')
      .all() as { node: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.node, r.n]));
  }

  setStatus(id: string, status: TenantStatus): void {
    this.write(() =>
      this.db.prepare('UPDATE tenants SET status = ?, updated_at = ? WHERE id = ?').run(status, now(), id),
    );
  }

  setUrl(id: string, url: string | null): void {
    this.write(() =>
      this.db.prepare('UPDATE tenants SET url = ?, updated_at = ? WHERE id = ?').run(url, now(), id),
    );
  }

  /** Deletes the row, which frees its ports. */
  release(id: string): void {
    this.write(() => this.db.prepare('DELETE FROM tenants WHERE id = ?').run(id));
  }

  /** Records volumes kept by `teardown keepData=true`, so a later deploy can reattach them. */
  keepData(record: Omit<KeptData, 'keptAt'>): void {
    this.write(() =>
      this.db
        .prepare('INSERT OR REPLACE INTO kept_data (id, data_key, template, kept_at) VALUES (?, ?, ?, ?)')
        .run(record.id, record.dataKey, record.template, now()),
    );
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
    this.write(() => this.db.prepare('DELETE FROM kept_data WHERE id = ? AND data_key = ?').run(id, dataKey));
  }
}

function now(): string {
  return new Date().toISOString();
}
