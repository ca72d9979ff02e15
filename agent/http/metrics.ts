import client from 'prom-client';

/** The agent's Prometheus metrics, on a registry of its own. */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'probe_' });
  const runs = new client.Counter({
    name: 'probe_runs_total',
    help: 'Runs that ended, by task and status',
    labelNames: ['task', 'status'] as const,
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: 'probe_run_duration_seconds',
    help: 'Run duration by task',
    labelNames: ['task'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180, 600],
    registers: [registry],
  });
  const inFlight = new client.Gauge({
    name: 'probe_runs_in_flight',
    help: 'Runs in progress',
    registers: [registry],
  });
  const refused = new client.Counter({
    name: 'probe_requests_refused_total',
    help: 'Requests answered with an error, by code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  return { registry, runs, duration, inFlight, refused };
}

export type Metrics = ReturnType<typeof createMetrics>;
