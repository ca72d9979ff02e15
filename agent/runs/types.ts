import type { RunStatus } from '../client/types.js';

// The wire shapes are defined once, with the client that reads them.
export type { RunEvent, RunRecord, RunStatus } from '../client/types.js';

export const FINAL_STATUSES: readonly RunStatus[] = [
  'succeeded',
  'failed',
  'timed_out',
  'canceled',
  'interrupted',
];

/** The one result shape every run ends with. */
export interface RunEnd {
  status: RunStatus;
  exitCode: number | null;
  durationMs: number;
  result?: unknown;
}
