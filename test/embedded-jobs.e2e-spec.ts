import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningApp, startApp } from './support/app-harness';
import { runUntilExit, spawnApp } from './support/child-app';
import { adminToken, api, until } from './support/jobs-support';

interface Run {
  jobId: string;
  ranAt: number;
}

/** Jobs and events with nothing installed: SQLite outbox, in-process queue (what `npm start` runs). */
describe('jobs and events in the embedded profile (no Redis)', () => {
  let workdir: string;
  let app: RunningApp;
  const env = () => ({ DATA_DIR: workdir, ENABLE_TEST_ROUTES: 'true', LOG_LEVEL: 'warn', LOG_PRETTY: 'false' });
  const runsOf = async (key: string) => (await api<Run[]>(app, 'GET', `/diagnostics/jobs/runs?key=${key}`)).body.data ?? [];
  const effectsOf = async (orderRef: string) => (await api<Array<{ eventId: string }>>(app, 'GET', `/diagnostics/events/effects?orderRef=${orderRef}`)).body.data ?? [];

  beforeAll(async () => {
    workdir = mkdtempSync(join(tmpdir(), 'wxmp-embedded-jobs-'));
    app = await startApp(env());
  });

  afterAll(async () => {
    await app?.close();
    rmSync(workdir, { recursive: true, force: true });
  });

  it('refuses to split roles: its queue lives in this one process', async () => {
    const refused = await runUntilExit({ DATA_DIR: workdir, APP_ROLE: 'worker' });
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('APP_ROLE=worker needs the production profile');
  });

  it('runs a delayed job once at its time, enqueued twice under one id', async () => {
    const runAt = Date.now() + 1_500;
    for (let i = 0; i < 2; i += 1) {
      const response = await api<{ id: string }>(app, 'POST', '/diagnostics/jobs', { key: 'embedded-delayed', id: 'embedded-1', runAt });
      expect(response.body.data).toEqual({ id: 'embedded-1' });
    }
    const run = await until('the run', async () => (await runsOf('embedded-delayed')).at(0));
    expect(Math.abs(run.ranAt - runAt)).toBeLessThanOrEqual(1_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await runsOf('embedded-delayed')).toHaveLength(1);
  });

  it('delivers an event once and dead-letters a permanent failure that an admin can retry', async () => {
    const published = await api<{ eventId: string }>(app, 'POST', '/diagnostics/events/orders', { orderRef: 'embedded-order' });
    expect(published.status).toBe(200);
    await until('the event to be handled', async () => (await effectsOf('embedded-order')).length > 0);
    expect(await effectsOf('embedded-order')).toEqual([{ eventId: published.body.data?.eventId, handledAt: expect.any(Number) }]);

    const admin = await adminToken(app, env(), 'embedded-admin');
    const jobId = (await api<{ id: string }>(app, 'POST', '/diagnostics/jobs', { key: 'embedded-refused', permanentFailTimes: 1 })).body.data?.id;
    const id = `diagnostics.record:${jobId}`;
    await until('the dead letter', async () => {
      const page = await api<{ items: Array<{ id: string; reason: string }> }>(app, 'GET', '/admin/jobs/failed', undefined, admin);
      return page.body.data?.items.some((item) => item.id === id && item.reason === 'diagnostic permanent failure 1');
    });
    expect((await api(app, 'POST', `/admin/jobs/${id}/retry`, undefined, admin)).status).toBe(200);
    await until('the second run', async () => (await runsOf('embedded-refused')).length === 2);
    const audit = await api<{ items: unknown[] }>(app, 'GET', `/admin/audit-logs?action=job.retry&targetId=${jobId}`, undefined, admin);
    expect(audit.body.data?.items).toHaveLength(1);
  });

  it('crash drill: an event committed to the SQLite outbox survives kill -9 and is delivered once after restart', async () => {
    await app.close();
    const doomed = await spawnApp({ ...env(), TEST_OUTBOX_CRASH_AFTER_COMMIT: 'true', OUTBOX_POLL_INTERVAL_MS: '60000' });
    const answer = await fetch(`${doomed.baseUrl}/api/v1/diagnostics/events/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderRef: 'embedded-crash' }),
    }).then(
      () => 'answered',
      () => 'connection lost',
    );
    expect(answer).toBe('connection lost');
    expect((await doomed.exited).signal).toBe('SIGKILL');

    app = await startApp(env());
    await until('the event to be handled', async () => (await effectsOf('embedded-crash')).length > 0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await effectsOf('embedded-crash')).toHaveLength(1);
  });
});
