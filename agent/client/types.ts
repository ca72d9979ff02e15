/** The shapes the agent's API speaks; shared by the client and its users. */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'timed_out' | 'canceled' | 'interrupted';
export type ArgValue = string | number | boolean;

export type RunStartEvent = {
  type: 'run';
  seq: number;
  id: string;
  task: string;
  args: Record<string, ArgValue>;
  startedAt: string;
};
export type OutputEvent = { type: 'output'; seq: number; stream: 'stdout' | 'stderr'; text: string };
export type ResultEvent = { type: 'result'; seq: number; data: unknown };
export type EndEvent = {
  type: 'end';
  seq: number;
  status: RunStatus;
  exitCode: number | null;
  durationMs: number;
};
export type RunEvent = RunStartEvent | OutputEvent | ResultEvent | EndEvent;

export interface RunRecord {
  id: string;
  task: string;
  args: Record<string, ArgValue>;
  sub: string;
  status: RunStatus;
  exitCode: number | null;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  result: unknown;
  outputTruncated: boolean;
  output?: string;
}

export interface TaskInfo {
  name: string;
  description: string;
  args: Record<string, { type: string; required?: boolean; default?: ArgValue; description?: string }>;
  timeoutMs: number;
  lock: string | null;
}

/** What run() resolves to: the run id, its end event and its result (the `::result::` data). */
export interface RunOutcome<R = unknown> {
  id: string;
  end: EndEvent;
  result: R | undefined;
}

export interface ProvisionResult {
  id: string;
  url: string;
  ports: { app: number; db: number };
  template: string;
}

/** An error answer of the API, or a run that did not succeed. `code` is the API's error code. */
export class ProbeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ProbeError';
  }
}

/** A run that ended in any status but `succeeded`; carries the outcome for inspection. */
export class RunFailedError extends ProbeError {
  constructor(readonly outcome: RunOutcome) {
    super(
      `run_${outcome.end.status}`,
      `run ${outcome.id} ended ${outcome.end.status} (exit code ${outcome.end.exitCode})`,
    );
    this.name = 'RunFailedError';
  }
}
