// Job queue and outbox rows of `npm run bench` (issue 16). See bench/README.md.
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

/**
 * Rows that measure throughput and lag rather than HTTP req/s. Each gets the harness of run.mjs
 * (server start/stop pinned to core 0, the bench database, logging) and returns its row.
 */
export const queueScenarios = [
  {
    name: 'jobs: redis-benchmark LPUSH/RPOP -c 10 (ceiling)',
    kind: 'redisBenchmark',
  },
  {
    name: 'jobs: no-op, one enqueue per request (10 in flight), run at concurrency 10',
    kind: 'noopJobs',
    mode: 'single',
    count: 20_000,
  },
  {
    name: 'jobs: no-op, enqueued 500 per call, run at concurrency 10',
    kind: 'noopJobs',
    mode: 'bulk',
    count: 20_000,
  },
  {
    name: 'outbox: relay throughput (20000 rows, one worker)',
    kind: 'relayThroughput',
    count: 20_000,
  },
  {
    name: 'outbox: lag at 500 events/s',
    kind: 'outboxLag',
    ratePerSecond: 500,
    targets: { maxP99Ms: 1_000 },
  },
];

const LOOPBACK = '127.0.0.1';

function percentile(sorted, share) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))];
}

const round = (value, digits = 0) => (value == null ? null : Math.round(value * 10 ** digits) / 10 ** digits);

/** A keep-alive JSON client for one server: the driver side of these rows (never on core 0). */
function client(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const call = (method, path, body) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? null : JSON.stringify(body);
      const req = http.request(
        { host: LOOPBACK, port, path, method, agent, headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {} },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => {
            try {
              resolve({ status: res.statusCode, body: JSON.parse(text) });
            } catch {
              resolve({ status: res.statusCode, body: text });
            }
          });
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(payload ?? undefined);
    });
  return { call, close: () => agent.destroy() };
}

async function expectOk(promise, what) {
  const response = await promise;
  if (response.status !== 200) throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body).slice(0, 300)}`);
  return response.body.data;
}

/** Deletes the bench's queues from Redis (BullMQ keeps finished jobs for idempotent enqueue). */
async function dropQueues(prefix) {
  const redis = new Redis(`redis://${LOOPBACK}:6379`);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}

export async function measureQueueScenario(scenario, ctx, harness) {
  const row = { name: scenario.name, kind: scenario.kind, status: 'ok', targets: scenario.targets ?? {} };
  harness.log(`${scenario.name}`);
  const prefix = `bench-${process.pid}-${scenario.kind}${scenario.mode ? `-${scenario.mode}` : ''}`;
  try {
    if (scenario.kind === 'redisBenchmark') Object.assign(row, redisBenchmark(harness));
    else if (scenario.kind === 'noopJobs') Object.assign(row, await noopJobs(scenario, ctx, harness, prefix));
    else if (scenario.kind === 'relayThroughput') Object.assign(row, await relayThroughput(scenario, ctx, harness, prefix));
    else if (scenario.kind === 'outboxLag') Object.assign(row, await outboxLag(scenario, ctx, harness, prefix));
    harness.log(`  ${row.summary}`);
  } catch (error) {
    row.status = 'failed';
    row.error = error.message;
    harness.log(`  FAILED: ${error.message}`);
  } finally {
    await dropQueues(prefix).catch(() => undefined);
  }
  return row;
}

/** redis-benchmark (ships with redis-server) on the same Redis, pinned like wrk; database 15 keeps its list apart. */
function redisBenchmark(harness) {
  const [command, args] = harness.pinned(1, 'redis-benchmark', ['-h', LOOPBACK, '-p', '6379', '--dbnum', '15', '-c', '10', '-n', '200000', '-t', 'lpush,rpop', '-q']);
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`redis-benchmark failed: ${result.stderr || result.error?.message}`);
  const rate = (name) => Number(new RegExp(`${name}: ([\\d.]+) requests per second`).exec(result.stdout.replace(/\r/g, '\n'))?.[1]);
  const lpush = rate('LPUSH');
  const rpop = rate('RPOP');
  if (!lpush || !rpop) throw new Error(`could not read redis-benchmark's output: ${result.stdout.slice(-300)}`);
  return { perSecond: round(Math.min(lpush, rpop)), lpushPerSecond: round(lpush), rpopPerSecond: round(rpop), summary: `LPUSH ${round(lpush)}/s, RPOP ${round(rpop)}/s` };
}

function apiEnv(prefix, extra = {}) {
  return {
    ENABLE_TEST_ROUTES: 'true',
    RATE_LIMIT_ENABLED: 'false',
    JOBS_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

async function withServer(harness, ctx, name, env, fn) {
  const server = await harness.startServer({ name, target: 'api', env }, ctx, harness.slug(name));
  try {
    await harness.waitReady(server);
    return await fn(server);
  } finally {
    await harness.stopServer(server);
  }
}

/**
 * No-op jobs (diagnostics.noop, concurrency 10) enqueued and run by one combined process: jobs/s
 * from the first enqueue to the last completion. `single`: one job per HTTP request, 10 requests
 * in flight (how request handlers enqueue: the HTTP pipeline is part of the cost); `bulk`: 500
 * per request (Jobs.enqueueMany, one Redis round trip each), what the queue itself sustains.
 */
async function noopJobs(scenario, ctx, harness, prefix) {
  return withServer(harness, ctx, scenario.name, apiEnv(prefix), async (server) => {
    const api = client(server.port);
    try {
      const completed = async () => (await expectOk(api.call('GET', '/api/v1/diagnostics/jobs/noop'), 'noop count')).completed;
      const enqueue = async (count) => {
        if (scenario.mode === 'bulk') {
          for (let done = 0; done < count; done += 500) {
            await expectOk(api.call('POST', '/api/v1/diagnostics/jobs/noop', { count: Math.min(500, count - done) }), 'enqueue');
          }
          return;
        }
        let next = 0;
        const worker = async () => {
          while (next < count) {
            next += 1;
            await expectOk(api.call('POST', '/api/v1/diagnostics/jobs/noop', { count: 1 }), 'enqueue');
          }
        };
        await Promise.all(Array.from({ length: 10 }, worker));
      };
      // warm-up: connections, JIT, BullMQ's scripts loaded
      await enqueue(1_000);
      while ((await completed()) < 1_000) await sleep(20);
      const base = await completed();
      const started = performance.now();
      await enqueue(scenario.count);
      const enqueuedMs = performance.now() - started;
      while ((await completed()) < base + scenario.count) {
        if (performance.now() - started > 300_000) throw new Error('no-op jobs did not finish within 5 minutes');
        await sleep(10);
      }
      const totalMs = performance.now() - started;
      const perSecond = round(scenario.count / (totalMs / 1000));
      return {
        count: scenario.count,
        seconds: round(totalMs / 1000, 2),
        perSecond,
        enqueuePerSecond: round(scenario.count / (enqueuedMs / 1000)),
        summary: `${perSecond} jobs/s end to end (${scenario.count} jobs in ${round(totalMs / 1000, 2)} s; enqueue alone ${round(scenario.count / (enqueuedMs / 1000))}/s)`,
      };
    } finally {
      api.close();
    }
  });
}

/**
 * The outbox filled by an APP_ROLE=api process (no relay), then drained by one APP_ROLE=worker
 * process: rows/s between the first and the last sent_at the relay wrote.
 */
async function relayThroughput(scenario, ctx, harness, prefix) {
  const refPrefix = `relay-${process.pid}`;
  await withServer(harness, ctx, `${scenario.name} (fill)`, apiEnv(prefix, { APP_ROLE: 'api' }), async (server) => {
    const api = client(server.port);
    try {
      await expectOk(
        api.call('POST', '/api/v1/diagnostics/events/orders/batch', { prefix: refPrefix, count: scenario.count, perTransaction: 200 }),
        'fill the outbox',
      );
    } finally {
      api.close();
    }
  });
  const pattern = `{"orderRef":"${refPrefix}-%`;
  const unsent = async () =>
    Number((await harness.withDb((db) => db.query(`SELECT COUNT(*) AS n FROM \`${ctx.dbName}\`.outbox_events WHERE sent_at IS NULL AND payload LIKE ?`, [pattern])))[0][0].n);
  if ((await unsent()) !== scenario.count) throw new Error('the outbox was not filled');
  return withServer(harness, ctx, `${scenario.name} (relay)`, apiEnv(prefix, { APP_ROLE: 'worker' }), async () => {
    const started = performance.now();
    while ((await unsent()) > 0) {
      if (performance.now() - started > 300_000) throw new Error('the relay did not drain the outbox within 5 minutes');
      await sleep(100);
    }
    const [[span]] = await harness.withDb((db) =>
      db.query(
        `SELECT TIMESTAMPDIFF(MICROSECOND, MIN(sent_at), MAX(sent_at)) AS us, COUNT(DISTINCT sent_at) AS passes FROM \`${ctx.dbName}\`.outbox_events WHERE payload LIKE ?`,
        [pattern],
      ),
    );
    const seconds = Math.max(Number(span.us) / 1e6, 0.001);
    const perSecond = round(scenario.count / seconds);
    return {
      count: scenario.count,
      seconds: round(seconds, 2),
      perSecond,
      passes: Number(span.passes),
      summary: `${perSecond} rows/s (${scenario.count} rows in ${round(seconds, 2)} s, ${span.passes} relay passes)`,
    };
  });
}

/**
 * Orders with their event at a steady 500/s (each a request and a transaction) into a combined
 * process for BENCH_DURATION seconds; lag = sent_at - created_at of each row (the relay's delay),
 * and the consumer's handling time - created_at (end to end).
 */
async function outboxLag(scenario, ctx, harness, prefix) {
  const durationS = harness.config.durationS;
  const refPrefix = `lag-${process.pid}`;
  return withServer(harness, ctx, scenario.name, apiEnv(prefix), async (server) => {
    const api = client(server.port);
    try {
      // warm-up
      for (let i = 0; i < 200; i += 1) await expectOk(api.call('POST', '/api/v1/diagnostics/events/orders', { orderRef: `${refPrefix}-warm-${i}` }), 'warm-up');
      const total = scenario.ratePerSecond * durationS;
      const tickMs = 10;
      const perTick = (scenario.ratePerSecond * tickMs) / 1000;
      let sent = 0;
      let errors = 0;
      const inFlight = new Set();
      const started = performance.now();
      while (sent < total) {
        const due = Math.min(total, Math.floor(((performance.now() - started) / tickMs + 1) * perTick));
        while (sent < due) {
          const orderRef = `${refPrefix}-${sent}`;
          sent += 1;
          const request = api
            .call('POST', '/api/v1/diagnostics/events/orders', { orderRef })
            .then((response) => {
              if (response.status !== 200) errors += 1;
            })
            .catch(() => {
              errors += 1;
            })
            .finally(() => inFlight.delete(request));
          inFlight.add(request);
        }
        await sleep(tickMs);
      }
      await Promise.all(inFlight);
      const offeredSeconds = (performance.now() - started) / 1000;
      const pattern = `{"orderRef":"${refPrefix}-%`;
      const waitStart = performance.now();
      for (;;) {
        const [[row]] = await harness.withDb((db) =>
          db.query(`SELECT COUNT(*) AS n FROM \`${ctx.dbName}\`.outbox_events WHERE sent_at IS NULL AND payload LIKE ?`, [pattern]),
        );
        if (Number(row.n) === 0) break;
        if (performance.now() - waitStart > 60_000) throw new Error('rows still unsent a minute after the load');
        await sleep(100);
      }
      await sleep(1_000);
      const [lags] = await harness.withDb((db) =>
        db.query(
          `SELECT TIMESTAMPDIFF(MICROSECOND, created_at, sent_at) / 1000 AS ms FROM \`${ctx.dbName}\`.outbox_events WHERE payload LIKE ? AND payload NOT LIKE ?`,
          [pattern, `{"orderRef":"${refPrefix}-warm-%`],
        ),
      );
      const [handled] = await harness.withDb(async (db) => {
        // created_at holds UTC (the API's connections write it so); read it as UTC
        await db.query("SET time_zone = '+00:00'");
        return db.query(
          `SELECT e.handled_at - ROUND(UNIX_TIMESTAMP(o.created_at) * 1000) AS ms FROM \`${ctx.dbName}\`.diagnostics_event_effects e
             JOIN \`${ctx.dbName}\`.outbox_events o ON o.id = e.event_id WHERE e.order_ref LIKE ? AND e.order_ref NOT LIKE ?`,
          [`${refPrefix}-%`, `${refPrefix}-warm-%`],
        );
      });
      const sorted = lags.map((row) => Number(row.ms)).sort((a, b) => a - b);
      const endToEnd = handled.map((row) => Number(row.ms)).sort((a, b) => a - b);
      const lagMs = { p50: round(percentile(sorted, 0.5), 1), p99: round(percentile(sorted, 0.99), 1), max: round(sorted.at(-1), 1) };
      const handledMs = { p50: round(percentile(endToEnd, 0.5), 1), p99: round(percentile(endToEnd, 0.99), 1) };
      return {
        count: sorted.length,
        seconds: round(offeredSeconds, 2),
        perSecond: round(sorted.length / offeredSeconds),
        errors,
        lagMs,
        handledMs,
        summary:
          `${round(sorted.length / offeredSeconds)} events/s offered for ${round(offeredSeconds, 1)} s (${errors} errors); relay lag p50 ${lagMs.p50} ms, ` +
          `p99 ${lagMs.p99} ms, max ${lagMs.max} ms; handled by the consumer p50 ${handledMs.p50} ms, p99 ${handledMs.p99} ms`,
      };
    } finally {
      api.close();
    }
  });
}
