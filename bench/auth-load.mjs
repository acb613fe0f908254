// Load for the sign-in routes, which wrk cannot drive: every login needs a fresh wx.login
// code and every refresh the token the previous refresh returned. `concurrency` workers loop
// for `durationS` seconds over keep-alive connections; prints one BENCH_JSON line like
// wrk-report.lua (microseconds).
//   node bench/auth-load.mjs <login|refresh> <baseUrl> <concurrency> <durationS>
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'undici';

const [mode, baseUrl, concurrencyArg, durationArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const durationMs = Number(durationArg) * 1000;
const dispatcher = new Agent({ connections: concurrency, keepAliveTimeout: 30_000 });
const tag = randomBytes(4).toString('hex');
let sequence = 0;

async function post(path, body) {
  const response = await request(`${baseUrl}${path}`, {
    method: 'POST',
    dispatcher,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.body.text();
  return { status: response.statusCode, body: text ? JSON.parse(text) : null };
}

const login = () => post('/api/v1/auth/wechat/login', { code: `bench-${tag}-${(sequence += 1)}` });

const latencies = [];
const errors = { connect: 0, read: 0, write: 0, status: 0, timeout: 0 };
let requests = 0;

async function worker(deadline) {
  let refreshToken = null;
  if (mode === 'refresh') refreshToken = (await login()).body?.data?.refreshToken ?? null;
  while (performance.now() < deadline) {
    const started = performance.now();
    try {
      const response = mode === 'login' ? await login() : await post('/api/v1/auth/refresh', { refreshToken });
      if (response.status !== 200) {
        errors.status += 1;
        if (mode === 'refresh') refreshToken = (await login()).body?.data?.refreshToken ?? null;
      } else if (mode === 'refresh') {
        refreshToken = response.body.data.refreshToken;
      }
    } catch {
      errors.read += 1;
    }
    latencies.push((performance.now() - started) * 1000);
    requests += 1;
  }
}

const startedAt = performance.now();
await Promise.all(Array.from({ length: concurrency }, () => worker(startedAt + durationMs)));
const elapsedUs = (performance.now() - startedAt) * 1000;
latencies.sort((a, b) => a - b);
const at = (p) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0);
const mean = latencies.reduce((sum, value) => sum + value, 0) / Math.max(1, latencies.length);
process.stdout.write(
  `BENCH_JSON ${JSON.stringify({
    requests,
    durationUs: Math.round(elapsedUs),
    bytes: 0,
    errors,
    latencyUs: { mean, stdev: 0, max: Math.round(latencies.at(-1) ?? 0), p50: at(50), p75: at(75), p90: at(90), p99: at(99), p999: at(99.9) },
  })}\n`,
);
await dispatcher.close();
