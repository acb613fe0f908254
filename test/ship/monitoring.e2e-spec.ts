import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { request } from '../support/app-harness';
import { useTestDatabase } from '../support/test-database';
import { exportedNames, metricNamesIn } from './promql-names';

const run = promisify(execFile);
const RULES = resolve('monitoring/alerts/wxmp-backend.rules.yml');
const RULE_TESTS = resolve('monitoring/alerts/wxmp-backend.rules.test.yml');
const DASHBOARD = resolve('monitoring/dashboards/wxmp-backend.json');
// metrics that come from elsewhere than the app, each named: kube-state-metrics
const EXTERNAL_METRICS = new Set(['kube_pod_container_status_restarts_total']);

// scripts/ensure-promtool.sh puts it here (npm test runs it first) when it is not on PATH
const promtool = (): string => (existsSync(resolve('.tools/promtool')) ? resolve('.tools/promtool') : 'promtool');

interface Dashboard {
  uid: string;
  panels: Array<{ id: number; title: string; targets: Array<{ expr: string }> }>;
  templating: { list: Array<{ query?: unknown }> };
}
interface RuleFile {
  groups: Array<{ name: string; rules: Array<{ alert?: string; record?: string; expr: string }> }>;
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const rules = parse(readFileSync(RULES, 'utf8')) as RuleFile;

function referencedMetrics(): Map<string, string[]> {
  const where = new Map<string, string[]>();
  const note = (names: string[], place: string) => names.forEach((name) => where.set(name, [...(where.get(name) ?? []), place]));
  for (const panel of dashboard.panels) for (const target of panel.targets) note(metricNamesIn(target.expr), `panel "${panel.title}"`);
  for (const variable of dashboard.templating.list) {
    const metric = typeof variable.query === 'string' ? /label_values\((\w+)/.exec(variable.query)?.[1] : undefined;
    if (metric) note([metric], 'dashboard variable');
  }
  for (const group of rules.groups) for (const rule of group.rules) note(metricNamesIn(rule.expr), `alert ${rule.alert ?? rule.record}`);
  return where;
}

/** What the app fails to export among the metrics named: one sentence per name. */
function missingMetrics(referenced: Map<string, string[]>, exported: Set<string>): string[] {
  return [...referenced]
    .filter(([name]) => !exported.has(name) && !EXTERNAL_METRICS.has(name))
    .map(([name, places]) => `${name} (${places.join(', ')}) is not exported by the app`);
}

describe('monitoring/: alert rules and the Grafana dashboard', () => {
  it('promtool check rules accepts the alert rules', async () => {
    const { stdout } = await run(promtool(), ['check', 'rules', RULES]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('promtool test rules: the alerts fire on the series that should fire them, after their `for`', async () => {
    const { stdout } = await run(promtool(), ['test', 'rules', RULE_TESTS], { cwd: resolve('monitoring/alerts') });
    expect(stdout).toMatch(/SUCCESS/);
  });

  it('covers what the issue asks: alerts and panels', () => {
    const alerts = rules.groups.flatMap((group) => group.rules.map((rule) => rule.alert));
    expect(alerts).toEqual(expect.arrayContaining(['WxmpHighErrorRate', 'WxmpP99OverTarget', 'WxmpCircuitOpen', 'WxmpQueueBacklog', 'WxmpOutboxLag', 'WxmpPodRestarting']));
    const metrics = new Set(referencedMetrics().keys());
    for (const name of [
      'http_server_requests_seconds_count', 'http_server_requests_seconds_bucket', 'circuit_state', 'cache_requests_total', 'rate_limit_requests_total',
      'jobs_queue_jobs', 'outbox_lag_seconds', 'nodejs_eventloop_lag_p99_seconds', 'db_pool_connections',
    ]) {
      expect(metrics).toContain(name);
    }
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
  });

  it('fails on purpose: promtool refuses a broken rule, and a metric the app does not export is named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'));
    const broken = join(dir, 'broken.yml');
    writeFileSync(broken, 'groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: sum(rate(http_server_requests_seconds_count[5m]) > \n');
    await expect(run(promtool(), ['check', 'rules', broken])).rejects.toMatchObject({ code: 1 });
    const referenced = new Map([['http_requests_total', ['panel "typo"']]]);
    expect(missingMetrics(referenced, new Set(['http_server_requests_seconds_count']))).toEqual(['http_requests_total (panel "typo") is not exported by the app']);
  });

  describe('against the running app', () => {
    const db = useTestDatabase();

    it('every metric the dashboard and the alerts name is exported on /metrics', async () => {
      const running = await db.startApp({});
      await request(`${running.baseUrl}/api/v1/ping`);
      await request(`${running.baseUrl}/health/ready`);
      const exposition = (await request<string>(`${running.baseUrl}/metrics`)).text;
      const exported = exportedNames(exposition);
      expect(exported.size).toBeGreaterThan(20);
      expect(missingMetrics(referencedMetrics(), exported)).toEqual([]);
      // the new pool gauge reads the real pool: the readiness check above held a connection
      expect(exposition).toMatch(/^db_pool_connections_max \d+$/m);
      expect(exposition).toMatch(/^db_pool_connections\{state="idle"\} \d+$/m);
    });
  });
});
