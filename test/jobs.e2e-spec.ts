import { Queue } from 'bullmq';
import { type EnvelopeBody, request, type RunningApp } from './support/app-harness';
import { spawnApp } from './support/child-app';
import { type EnvOverrides, productionEnv, testServices } from './support/environment';
import { adminToken, api, isolatedRedisEnv, until } from './support/jobs-support';
import { useTestDatabase } from './support/test-database';

interface Run {
  jobId: string;
  attempt: number;
  ranAt: number;
}
interface DeadLetter {
  id: string;
  type: string;
  jobId: string;
  attempts: number;
  reason: string;
  payload: unknown;
}
interface Page<T> {
  items: T[];
  total: number;
}

/** The job queue on the production profile: BullMQ on the real Redis, handlers in the built API. */
describe('jobs (BullMQ on Redis)', () => {
  const db = useTestDatabase();
  // a job whose worker died runs again after this lock expires; every worker of these queues must
  // use it (the first stalled check of a queue holds off the others for its whole interval)
  const redisEnv: EnvOverrides = { ...isolatedRedisEnv('jobs'), JOBS_LOCK_MS: '2000' };
  let app: RunningApp;
  let queue: Queue;

  const runsOf = async (key: string): Promise<Run[]> => (await api<Run[]>(app, 'GET', `/diagnostics/jobs/runs?key=${key}`)).body.data ?? [];
  const enqueue = async (body: Record<string, unknown>): Promise<string> => {
    const response = await api<{ id: string }>(app, 'POST', '/diagnostics/jobs', body);
    expect(response.status).toBe(200);
    return (response.body.data as { id: string }).id;
  };

  beforeAll(async () => {
    app = await db.startApp(redisEnv);
    // the queue as BullMQ itself sees it, to check states the API does not show
    queue = new Queue('diagnostics.record', { connection: { url: testServices.redisUrl, maxRetriesPerRequest: null }, prefix: redisEnv.JOBS_PREFIX });
  });

  afterAll(async () => {
    await queue?.obliterate({ force: true });
    await queue?.close();
  });

  it('runs a delayed job once, at its time (±1 s), enqueued twice under one id and across a restart', async () => {
    const runAt = Date.now() + 6_000;
    expect(await enqueue({ key: 'delayed', id: 'order-1-timeout', runAt })).toBe('order-1-timeout');
    expect(await enqueue({ key: 'delayed', id: 'order-1-timeout', runAt })).toBe('order-1-timeout');
    expect(await queue.getJobState('order-1-timeout')).toBe('delayed');

    await app.close();
    app = await db.startApp(redisEnv);
    // the same logical job from the restarted API: still one job
    expect(await enqueue({ key: 'delayed', id: 'order-1-timeout', runAt })).toBe('order-1-timeout');
    expect(await queue.getJobCounts('delayed')).toEqual({ delayed: 1 });

    const run = await until('the delayed job to run', async () => (await runsOf('delayed')).at(0), 10_000);
    expect(Math.abs(run.ranAt - runAt)).toBeLessThanOrEqual(1_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await runsOf('delayed')).toHaveLength(1);
  });

  it('retries a failing job with growing gaps: 3 failures then success are 4 runs', async () => {
    const id = await enqueue({ key: 'flaky', failTimes: 3 });
    const runs = await until('4 runs', async () => {
      const found = await runsOf('flaky');
      return found.length >= 4 ? found : null;
    });
    await until('the job to complete', async () => (await queue.getJobState(id)) === 'completed');
    expect(await runsOf('flaky')).toHaveLength(4);
    expect(runs.map((run) => run.attempt)).toEqual([1, 2, 3, 4]);
    const gaps = runs.slice(1).map((run, index) => run.ranAt - runs[index].ranAt);
    // backoff 200 ms doubling, minus up to 25% jitter: ~[150-200], [300-400], [600-800] ms
    expect(gaps[0]).toBeGreaterThanOrEqual(140);
    expect(gaps[1]).toBeGreaterThan(gaps[0]);
    expect(gaps[2]).toBeGreaterThan(gaps[1]);
  });

  it('dead-letters a permanent failure; operators see it, admins retry it (audited) and it runs again', async () => {
    const admin = await adminToken(app, productionEnv(db.name, redisEnv), 'jobs-admin');
    const operator = await adminToken(app, productionEnv(db.name, redisEnv), 'jobs-operator', 'operator');
    const jobId = await enqueue({ key: 'refused', permanentFailTimes: 1 });
    const id = `diagnostics.record:${jobId}`;

    const listed = await until('the dead letter', async () => {
      const page = await api<Page<DeadLetter>>(app, 'GET', '/admin/jobs/failed?type=diagnostics.record', undefined, operator);
      return page.body.data?.items.find((item) => item.jobId === jobId);
    });
    expect(listed).toMatchObject({ id, type: 'diagnostics.record', attempts: 1, reason: 'diagnostic permanent failure 1', payload: { key: 'refused', permanentFailTimes: 1 } });
    expect(await runsOf('refused')).toHaveLength(1);

    const byOperator = await api(app, 'POST', `/admin/jobs/${id}/retry`, undefined, operator);
    expect([byOperator.status, byOperator.body.code]).toEqual([403, 2007]);
    const retried = await api(app, 'POST', `/admin/jobs/${id}/retry`, undefined, admin);
    expect(retried.status).toBe(200);
    expect(retried.body.data).toEqual({ id, state: 'waiting' });

    await until('the second run', async () => (await runsOf('refused')).length === 2);
    await until('the job to complete', async () => (await queue.getJobState(jobId)) === 'completed');
    const again = await api(app, 'POST', `/admin/jobs/${id}/retry`, undefined, admin);
    expect([again.status, again.body.code]).toEqual([409, 7051]);
    const after = await api<Page<DeadLetter>>(app, 'GET', '/admin/jobs/failed?type=diagnostics.record', undefined, operator);
    expect(after.body.data?.items.map((item) => item.jobId)).not.toContain(jobId);

    const audit = await api<Page<{ action: string; target: { type: string; id: string }; actor: { username: string }; requestId: string }>>(
      app,
      'GET',
      `/admin/audit-logs?action=job.retry&targetId=${jobId}`,
      undefined,
      admin,
    );
    expect(audit.body.data?.items).toEqual([
      expect.objectContaining({ action: 'job.retry', target: { type: 'job', id: jobId }, actor: expect.objectContaining({ username: 'jobs-admin' }), requestId: retried.headers.get('x-request-id') }),
    ]);
  });

  it('deletes a dead letter (audited) and answers bad ids and types with their codes', async () => {
    const admin = await adminToken(app, productionEnv(db.name, redisEnv), 'jobs-admin2');
    const jobId = await enqueue({ key: 'trash', permanentFailTimes: 9 });
    const id = `diagnostics.record:${jobId}`;
    await until('the dead letter', async () => (await queue.getJobState(jobId)) === 'failed');

    // without a type filter the list spans every queue (job types and event consumers)
    const all = await api<Page<DeadLetter>>(app, 'GET', '/admin/jobs/failed?pageSize=100', undefined, admin);
    expect(all.body.data?.items.map((item) => item.id)).toContain(id);

    const deleted = await api(app, 'DELETE', `/admin/jobs/${id}`, undefined, admin);
    expect(deleted.status).toBe(200);
    expect(await queue.getJob(jobId)).toBeUndefined();
    const audit = await api<Page<{ before: { payload: unknown } }>>(app, 'GET', `/admin/audit-logs?action=job.delete&targetId=${jobId}`, undefined, admin);
    expect(audit.body.data?.items[0]?.before.payload).toEqual({ key: 'trash', permanentFailTimes: 9 });

    const missing = await api(app, 'DELETE', `/admin/jobs/${id}`, undefined, admin);
    expect([missing.status, missing.body.code]).toEqual([404, 7050]);
    const unknownType = await api(app, 'POST', '/admin/jobs/no.such-type:1x/retry', undefined, admin);
    expect([unknownType.status, unknownType.body.code]).toEqual([404, 7050]);
    const malformed = await api(app, 'POST', `/admin/jobs/${encodeURIComponent('not an id')}/retry`, undefined, admin);
    expect([malformed.status, malformed.body.code]).toEqual([400, 1001]);
    const badFilter = await api(app, 'GET', '/admin/jobs/failed?type=no.such-type', undefined, admin);
    expect([badFilter.status, badFilter.body.code]).toEqual([400, 7052]);
    const badPage = await api(app, 'GET', '/admin/jobs/failed?pageSize=1000', undefined, admin);
    expect([badPage.status, badPage.body.code]).toEqual([400, 1001]);
  });

  it('dead-letters a stored payload that no longer validates, without running the handler', async () => {
    // as an older build might have left it in the queue
    await queue.add('diagnostics.record', { payload: { key: 'legacy', failTimes: 'three' } }, { jobId: 'legacy-1', attempts: 5 });
    await until('the dead letter', async () => (await queue.getJobState('legacy-1')) === 'failed');
    const job = await queue.getJob('legacy-1');
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toMatch(/^invalid job diagnostics.record payload: .*failTimes must be an integer number/);
    expect(await runsOf('legacy')).toEqual([]);
  });

  it('on SIGTERM lets a running job finish within JOBS_SHUTDOWN_GRACE_MS, and one that outlives it runs again on another worker', async () => {
    // the only worker from here on is the one being stopped
    await app.close();
    for (const [graceMs, sleepMs] of [
      [5_000, 1_500],
      [300, 4_000],
    ]) {
      const worker = await spawnApp(productionEnv(db.name, { ...redisEnv, JOBS_SHUTDOWN_GRACE_MS: String(graceMs) }));
      const key = `shutdown-${graceMs}`;
      const response = await request<EnvelopeBody<{ id: string }>>(`${worker.baseUrl}/api/v1/diagnostics/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key, sleepMs }),
      });
      const jobId = (response.body.data as { id: string }).id;
      await until('the job to start', async () => {
        const runs = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM diagnostics_job_runs WHERE job_key = ?', [key]);
        return Number(runs[0].n) === 1;
      });
      const started = Date.now();
      worker.process.kill('SIGTERM');
      expect(await worker.exited).toEqual({ code: 0, signal: null });
      const tookMs = Date.now() - started;
      if (graceMs > sleepMs) {
        expect(await queue.getJobState(jobId)).toBe('completed');
      } else {
        expect(tookMs).toBeLessThan(3_000);
        // still locked by the stopped worker; another worker takes it once the lock expires
        expect(await queue.getJobState(jobId)).toBe('active');
        app = await db.startApp(redisEnv);
        const rerun = await until('the job to run again', async () => {
          const runs = await db.query<{ jobId: string }>('SELECT job_id AS jobId FROM diagnostics_job_runs WHERE job_key = ?', [key]);
          return runs.length === 2 ? runs : null;
        }, 15_000);
        expect(rerun.map((run) => run.jobId)).toEqual([jobId, jobId]);
      }
    }
  });
});
