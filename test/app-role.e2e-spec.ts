import { request, type RunningApp } from './support/app-harness';
import { api, isolatedRedisEnv, metric, until } from './support/jobs-support';
import { type SuiteDatabase, useTestDatabase } from './support/test-database';

interface Outcome {
  runs: Record<string, number>;
  effects: Record<string, number>;
}

/**
 * One scenario (jobs, a retried job, events) through an API process, then everything it left
 * behind: what ran how often, which events were handled how often.
 */
async function runScenario(apiProcess: RunningApp): Promise<void> {
  for (const body of [{ key: 'plain' }, { key: 'delayed', delayMs: 300 }, { key: 'retried', failTimes: 1 }]) {
    expect((await api(apiProcess, 'POST', '/diagnostics/jobs', body)).status).toBe(200);
  }
  for (const orderRef of ['order-a', 'order-b']) {
    expect((await api(apiProcess, 'POST', '/diagnostics/events/orders', { orderRef })).status).toBe(200);
  }
}

async function outcome(db: SuiteDatabase): Promise<Outcome> {
  const runs = await db.query<{ key: string; n: number }>('SELECT job_key AS `key`, COUNT(*) AS n FROM diagnostics_job_runs GROUP BY job_key');
  const effects = await db.query<{ ref: string; n: number }>('SELECT order_ref AS ref, COUNT(*) AS n FROM diagnostics_event_effects GROUP BY order_ref');
  return {
    runs: Object.fromEntries(runs.map((row) => [row.key, Number(row.n)])),
    effects: Object.fromEntries(effects.map((row) => [row.ref, Number(row.n)])),
  };
}

/** What one combined process leaves behind: each job run once (the retried one twice), each event handled once. */
const EXPECTED: Outcome = { runs: { delayed: 1, plain: 1, retried: 2 }, effects: { 'order-a': 1, 'order-b': 1 } };

const sorted = (result: Outcome): Outcome => ({
  runs: Object.fromEntries(Object.entries(result.runs).sort()),
  effects: Object.fromEntries(Object.entries(result.effects).sort()),
});

/** Waits for the expected outcome, then a little longer: a duplicate run arriving late must show. */
async function settledOutcome(db: SuiteDatabase): Promise<Outcome> {
  await until('the work to be done', async () => JSON.stringify(sorted(await outcome(db))) === JSON.stringify(EXPECTED)).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 700));
  return sorted(await outcome(db));
}

describe('APP_ROLE: one combined process', () => {
  const db = useTestDatabase();
  const env = isolatedRedisEnv('role-all');

  it('does all the work itself (the reference for the split roles)', async () => {
    const app = await db.startApp(env);
    await runScenario(app);
    expect(await settledOutcome(db)).toEqual(EXPECTED);
  });
});

describe('APP_ROLE: an api process and a worker process', () => {
  const db = useTestDatabase();
  const env = isolatedRedisEnv('role-split');

  it('api only enqueues and writes events; the worker serves only probes and does the same work as one combined process', async () => {
    const apiProcess = await db.startApp({ ...env, APP_ROLE: 'api' });
    await runScenario(apiProcess);
    // nothing runs without a worker: jobs wait in Redis, events in the outbox
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await outcome(db)).toEqual({ runs: {}, effects: {} });
    expect(await db.query('SELECT COUNT(*) AS n FROM outbox_events WHERE sent_at IS NULL')).toEqual([{ n: 2 }]);
    expect(await metric(apiProcess, 'jobs_queue_jobs', 'queue="diagnostics.record",state="waiting"')).toBe(2);
    expect(await metric(apiProcess, 'outbox_lag_seconds')).toBeGreaterThan(1);

    const worker = await db.startApp({ ...env, APP_ROLE: 'worker' });
    for (const path of ['/api/v1/ping', '/api/v1/diagnostics/jobs/runs?key=plain', '/docs']) {
      const response = await request(`${worker.baseUrl}${path}`);
      expect([path, response.status, response.body.code]).toEqual([path, 404, 1005]);
    }
    expect((await request(`${worker.baseUrl}/health/ready`)).status).toBe(200);
    expect((await request(`${worker.baseUrl}/health/live`)).status).toBe(200);
    expect((await request(`${worker.baseUrl}/metrics`)).status).toBe(200);

    expect(await settledOutcome(db)).toEqual(EXPECTED);
    expect(await metric(worker, 'outbox_events_published_total')).toBe(2);
    expect(await metric(apiProcess, 'outbox_events_published_total')).toBe(0);
    expect(await metric(worker, 'jobs_run_duration_seconds_count', 'queue="diagnostics.record"')).toBe(4);
    expect(await metric(apiProcess, 'jobs_run_duration_seconds_count')).toBe(0);
    // the api process still serves its routes
    expect((await api(apiProcess, 'GET', '/ping')).status).toBe(200);
  });
});
