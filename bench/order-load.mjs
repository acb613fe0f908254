// Load for the order rows, which wrk cannot drive: every POST /orders needs its own
// Idempotency-Key. Prints one BENCH_JSON line like wrk-report.lua (microseconds).
// POST /orders is a signed request (README: request signing): each one is signed with the
// session's signKey, as a mini-program signs it.
//   node bench/order-load.mjs create <baseUrl> <concurrency> <durationS> <token|-> <skuId> [signKey]
//     `concurrency` loops for `durationS` seconds over keep-alive connections, one order each time
//   node bench/order-load.mjs flash <baseUrl> <buyers> <sessionsFile> <skuId>
//     every buyer (one `token signKey` per line) sends one order at the same moment; also counts answers by status
//   node bench/order-load.mjs notify <baseUrl> <concurrency> <durationS> <orderNoPrefix> <firstIndex> <distDir> <appId>
//     WeChat Pay's TRANSACTION.SUCCESS callback for pending orders <prefix><index>, <index> counting up from
//     <firstIndex>: signed with the emulator's platform key and encrypted with its APIv3 key (the build's emulator code)
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Agent, request } from 'undici';

const [mode, baseUrl, concurrencyArg, fourth, fifth, sixth, seventh, eighth] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const dispatcher = new Agent({ connections: concurrency, keepAliveTimeout: 30_000, pipelining: 1 });
const tag = randomBytes(4).toString('hex');
let sequence = 0;

function signed(signKey, body) {
  if (!signKey) return {};
  const timestamp = String(Date.now());
  const nonce = randomBytes(12).toString('hex');
  const bodyHash = createHash('sha256').update(body).digest('hex');
  const signature = createHmac('sha256', signKey).update(`POST\n/api/v1/orders\n${timestamp}\n${nonce}\n${bodyHash}`).digest('hex');
  return { 'x-timestamp': timestamp, 'x-nonce': nonce, 'x-signature': signature };
}

async function placeOrder(token, skuId, signKey) {
  const body = JSON.stringify({ items: [{ skuId: Number(skuId), quantity: 1 }] });
  const response = await request(`${baseUrl}/api/v1/orders`, {
    method: 'POST',
    dispatcher,
    headers: {
      'content-type': 'application/json',
      'idempotency-key': `bench-${tag}-${(sequence += 1)}`,
      ...(token && token !== '-' ? { authorization: `Bearer ${token}` } : {}),
      ...signed(signKey, body),
    },
    body,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  await response.body.text();
  return response.statusCode;
}

const latencies = [];
const errors = { connect: 0, read: 0, write: 0, status: 0, timeout: 0 };
const byStatus = {};
let requests = 0;

async function timed(token, skuId, signKey) {
  const started = performance.now();
  try {
    const status = await placeOrder(token, skuId, signKey);
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (status !== 201 && !(mode === 'flash' && status === 409)) errors.status += 1;
  } catch {
    errors.read += 1;
  }
  latencies.push((performance.now() - started) * 1000);
  requests += 1;
}

/** One callback a request: each for another pending order (the full path: verify, decrypt, PENDING_PAYMENT → PAID). */
function notifier(distDir, prefix, firstIndex, appId) {
  const load = createRequire(import.meta.url);
  const { platformSigner, buildNotify } = load(path.join(distDir, 'apps/wechat-emulator/src/pay/pay-notify.js'));
  const { EMULATOR_PAY_PLATFORM_PRIVATE_KEY } = load(path.join(distDir, 'apps/wechat-emulator/src/pay/emulator-platform-key.js'));
  const keys = load(path.join(distDir, 'libs/wechat/src/pay/emulator-pay-keys.js'));
  const signer = platformSigner({ serial: keys.EMULATOR_PAY_PLATFORM_KEY_ID, privateKeyPem: EMULATOR_PAY_PLATFORM_PRIVATE_KEY, apiV3Key: keys.EMULATOR_PAY_APIV3_KEY });
  let next = Number(firstIndex);
  return async () => {
    const index = next++;
    const resource = {
      appid: appId,
      mchid: keys.EMULATOR_PAY_MCH_ID,
      out_trade_no: `${prefix}${index}`,
      transaction_id: `4200${String(index).padStart(24, '0')}`,
      trade_type: 'JSAPI',
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      bank_type: 'OTHERS',
      success_time: new Date().toISOString().replace(/\.\d{3}Z$/, '+00:00'),
      payer: { openid: 'o-bench' },
      amount: { total: 100, payer_total: 100, currency: 'CNY', payer_currency: 'CNY' },
    };
    const notify = buildNotify(signer, { eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', summary: '支付成功', resource });
    const response = await request(`${baseUrl}/api/v1/payments/wechat/notify`, {
      method: 'POST',
      dispatcher,
      headers: { ...notify.headers, 'content-type': 'application/json' },
      body: notify.body,
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    await response.body.text();
    return response.statusCode;
  };
}

const startedAt = performance.now();
if (mode === 'notify') {
  const send = notifier(seventh, fifth, sixth, eighth);
  const deadline = startedAt + Number(fourth) * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const started = performance.now();
        try {
          const status = await send();
          byStatus[status] = (byStatus[status] ?? 0) + 1;
          if (status !== 204) errors.status += 1;
        } catch {
          errors.read += 1;
        }
        latencies.push((performance.now() - started) * 1000);
        requests += 1;
      }
    }),
  );
} else if (mode === 'create') {
  const deadline = startedAt + Number(fourth) * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) await timed(fifth, sixth, seventh);
    }),
  );
} else if (mode === 'flash') {
  const sessions = readFileSync(fourth, 'utf8').split('\n').filter(Boolean).map((line) => line.split(' '));
  await Promise.all(sessions.slice(0, concurrency).map(([token, signKey]) => timed(token, fifth, signKey)));
} else {
  throw new Error(`unknown mode ${mode}`);
}
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
    byStatus,
    latencyUs: { mean, stdev: 0, max: Math.round(latencies.at(-1) ?? 0), p50: at(50), p75: at(75), p90: at(90), p99: at(99), p999: at(99.9) },
  })}\n`,
);
await dispatcher.close();
