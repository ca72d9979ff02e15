import type { ArgValues } from '../tasks/args.js';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'timed_out' | 'canceled' | 'interrupted';
export const FINAL_STATUSES: readonly RunStatus[] = [
  'succeeded',
  'failed',
  'timed_out',
  'canceled',
  'interrupted',
];

/** The events of a run, in the order a client sees them; every event carries its seq. */
export type RunEvent =
  | { type: 'run'; seq: number; id: string; task: string; args: ArgValues; startedAt: string }
  | { type: 'output'; seq: number; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'result'; seq: number; data: unknown }
  | { type: 'end'; seq: number; status: RunStatus; exitCode: number | null; durationMs: number };

/** The one result shape every run ends with. */
export interface RunEnd {
  status: RunStatus;
  exitCode: number | null;
  durationMs: number;
  result?: unknown;
}

export interface RunRecord {
  id: string;
  task: string;
  args: ArgValues;
  sub: string;
  status: RunStatus;
  exitCode: number | null;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  result: unknown;
  outputTruncated: boolean;
}
