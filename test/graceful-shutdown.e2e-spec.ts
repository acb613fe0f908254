import { request } from './support/app-harness';
import { spawnApp } from './support/child-app';
import { productionEnv } from './support/environment';
import { useTestDatabase } from './support/test-database';

describe('graceful shutdown on SIGTERM (real child process)', () => {
  const db = useTestDatabase();

  it('turns readiness 503 at once, finishes the in-flight request, closes pools and exits 0', async () => {
    const app = await spawnApp(productionEnv(db.name, { SHUTDOWN_DELAY_MS: '800', SHUTDOWN_DRAIN_MS: '10000' }));
    expect((await request(`${app.baseUrl}/health/ready`)).status).toBe(200);

    const slow = request<{ data: { sleptMs: number } }>(`${app.baseUrl}/api/v1/diagnostics/slow?ms=1500`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    app.process.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));

    const readiness = await request(`${app.baseUrl}/health/ready`);
    expect(readiness.status).toBe(503);
    expect(readiness.body.code).toBe(1018);
    expect((await request(`${app.baseUrl}/health/live`)).status).toBe(200);

    const finished = await slow;
    expect(finished.status).toBe(200);
    expect(finished.body.data.sleptMs).toBe(1500);

    const exit = await app.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(app.output()).not.toMatch(/"level":50/);
  });

  it('cuts requests that outlive the drain time and still exits 0', async () => {
    const app = await spawnApp(productionEnv(db.name, { SHUTDOWN_DRAIN_MS: '300' }));
    const hanging = fetch(`${app.baseUrl}/api/v1/diagnostics/slow?ms=20000`).then(
      (response) => response.status,
      () => 'connection closed',
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    app.process.kill('SIGTERM');
    const exit = await app.exited;
    expect(exit.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await hanging).toBe('connection closed');
  });
});
