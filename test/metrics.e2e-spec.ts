import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { request, RunningApp } from './support/app-harness';
import { freePort } from './support/child-app';
import { useTestDatabase } from './support/test-database';

// scripts/ensure-promtool.sh puts it here (npm test runs it first) when it is not on PATH
function promtoolPath(): string {
  const local = resolve('.tools/promtool');
  if (existsSync(local)) return local;
  return 'promtool';
}

// prom-client's default gauges end in _total; promtool 2.42 flags exactly these, and they are
// not ours to rename (see ../shared/stack-notes.md).
const KNOWN_DEFAULT_METRIC_NOISE = /^nodejs_active_(handles|requests|resources)_total /;

describe('GET /metrics', () => {
  const db = useTestDatabase();
  let running: RunningApp;
  let exposition: string;

  beforeAll(async () => {
    running = await db.startApp();
    const api = `${running.baseUrl}/api/v1`;
    for (const id of [101, 202, 303]) expect((await request(`${api}/diagnostics/items/${id}`)).status).toBe(200);
    await request(`${api}/ping`);
    await request(`${running.baseUrl}/scanner/probe/98765`);
    await request(`${running.baseUrl}/health/ready`);
    const response = await request<string>(`${running.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    exposition = response.text;
  });

  it('labels requests by route template, never by raw id', () => {
    expect(exposition).toMatch(
      /http_server_requests_seconds_count\{method="GET",route="\/api\/v1\/diagnostics\/items\/:id",status="200"\} 3/,
    );
    expect(exposition).toMatch(/http_server_requests_seconds_bucket\{[^}]*route="\/api\/v1\/ping"/);
    for (const rawId of ['101', '202', '303', '98765']) {
      expect(exposition).not.toMatch(new RegExp(`route="[^"]*${rawId}`));
    }
    expect(exposition).toMatch(/http_server_requests_seconds_count\{method="GET",route="unmatched",status="404"\} 1/);
  });

  it('includes the default Node metrics', () => {
    expect(exposition).toContain('process_resident_memory_bytes');
    expect(exposition).toContain('nodejs_eventloop_lag_seconds');
  });

  it('passes promtool check metrics', () => {
    let problems = '';
    try {
      execFileSync(promtoolPath(), ['check', 'metrics'], { input: exposition, encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      const failure = error as { status?: number; stdout?: string; stderr?: string; code?: string };
      if (failure.code === 'ENOENT') throw new Error('promtool not found: run scripts/ensure-promtool.sh');
      problems = `${failure.stdout ?? ''}${failure.stderr ?? ''}`;
    }
    const ours = problems
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length > 0 && !KNOWN_DEFAULT_METRIC_NOISE.test(line));
    expect(ours).toEqual([]);
  });
});

describe('GET /metrics on a port of its own (METRICS_PORT)', () => {
  const db = useTestDatabase();

  it('serves the metrics on METRICS_PORT only: the public port answers 404, and the process still exits cleanly', async () => {
    const metricsPort = await freePort();
    const running = await db.startApp({ METRICS_PORT: String(metricsPort) });
    expect((await request(`${running.baseUrl}/api/v1/ping`)).status).toBe(200);

    const onApiPort = await request(`${running.baseUrl}/metrics`);
    expect(onApiPort.status).toBe(404);
    expect(onApiPort.text).not.toContain('process_resident_memory_bytes');

    const scrape = await request<string>(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toContain('text/plain');
    expect(scrape.text).toMatch(/http_server_requests_seconds_count\{method="GET",route="\/api\/v1\/ping",status="200"\} 1/);
    expect(scrape.text).toContain('process_resident_memory_bytes');
    // nothing else is served there
    expect((await request(`http://127.0.0.1:${metricsPort}/api/v1/ping`)).status).toBe(404);

    await running.close();
    expect(await running.child.exited).toEqual({ code: 0, signal: null });
  });
});
