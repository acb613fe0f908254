import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, RunningApp, startApp } from './support/app-harness';

/** What a newcomer gets from `npm start` with no environment at all. */
describe('embedded default profile (no DB_HOST, no REDIS_URL)', () => {
  let workdir: string;
  let running: RunningApp;

  beforeAll(async () => {
    workdir = mkdtempSync(join(tmpdir(), 'wxmp-embedded-'));
    running = await startApp({ DATA_DIR: workdir });
  });

  afterAll(async () => {
    await running?.close();
    rmSync(workdir, { recursive: true, force: true });
  });

  it('serves ping and readiness', async () => {
    const ping = await request(`${running.baseUrl}/api/v1/ping`);
    expect(ping.status).toBe(200);
    expect(ping.body.data).toEqual({ pong: true });

    const ready = await request<{ data: { details: Record<string, { status: string; mode?: string }> } }>(
      `${running.baseUrl}/health/ready`,
    );
    expect(ready.status).toBe(200);
    expect(ready.body.data.details.database.status).toBe('up');
    expect(ready.body.data.details.redis).toEqual({ status: 'up', mode: 'embedded' });
  });

  it('keeps its data in a SQLite file under DATA_DIR, migrated on start', () => {
    expect(existsSync(join(workdir, 'app.sqlite'))).toBe(true);
  });

  it('says which profile it runs and where the data lives in its first log lines', async () => {
    // pretty logs are written by a worker thread: they can trail the first answered request
    const deadline = Date.now() + 5_000;
    while (!running.child.output().includes('Profile: embedded') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const output = running.child.output();
    expect(output).toContain('Profile: embedded');
    expect(output).toContain(join(workdir, 'app.sqlite'));
    const firstLines = output.split('\n').slice(0, 25).join('\n');
    expect(firstLines).toContain('Profile: embedded');
  });

  it('serves the API docs outside production', async () => {
    const docs = await fetch(`${running.baseUrl}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });
});
