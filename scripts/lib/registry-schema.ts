// The registry's rows and its SQLite schema, shared by the Registry class and its readers.

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

/** A node, none (null), or a choice made from the tenants per node inside the allocation's lock. */
export type NodeChoice = string | null | ((load: Record<string, number>) => string);

export interface PortRange {
  from: number;
  to: number;
}

export const SCHEMA = `
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

export const SELECT_TENANT = `SELECT id, template, app_port AS appPort, db_port AS dbPort, status, url, node,
  data_key AS dataKey, created_at AS createdAt, updated_at AS updatedAt FROM tenants`;
