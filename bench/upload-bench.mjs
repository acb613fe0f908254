// Upload and download rows of `npm run bench` (issue 18). See bench/README.md.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';

const LOOPBACK = '127.0.0.1';
const MB = 1024 * 1024;

/**
 * Rows that measure upload throughput with the server's peak memory, and downloads against bare
 * Fastify streaming the same file. Each gets the harness of run.mjs and returns its row.
 */
export const uploadScenarios = [
  { name: 'uploads: 20 x 5 MB concurrent (local storage)', kind: 'uploadBurst', concurrency: 20, sizeMb: 5, bursts: 3 },
  {
    name: 'uploads: 50 x 10 MB concurrent, peak RSS (local storage)',
    kind: 'uploadBurst',
    concurrency: 50,
    sizeMb: 10,
    bursts: 1,
    targets: { maxPeakRssMb: 250 },
  },
  {
    name: 'downloads: GET 1 MB public file @50 vs bare fastify streaming it',
    kind: 'downloadVsBaseline',
    connections: 50,
    targets: { minRatio: 0.8 },
  },
];

const round = (value, digits = 0) => (value == null ? null : Math.round(value * 10 ** digits) / 10 ** digits);
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? null : sorted[Math.floor(sorted.length / 2)];
};

export async function measureUploadScenario(scenario, ctx, harness) {
  const row = { name: scenario.name, kind: scenario.kind, status: 'ok', targets: scenario.targets ?? {} };
  harness.log(scenario.name);
  const storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-uploads-'));
  try {
    if (scenario.kind === 'uploadBurst') Object.assign(row, await uploadBurst(scenario, ctx, harness, storageDir));
    else Object.assign(row, await downloadVsBaseline(scenario, ctx, harness, storageDir));
    harness.log(`  ${row.summary}`);
  } catch (error) {
    row.status = 'failed';
    row.error = error.message;
    harness.log(`  FAILED: ${error.message}`);
  } finally {
    fs.rmSync(storageDir, { recursive: true, force: true });
  }
  return row;
}

function apiEnv(storageDir) {
  return {
    RATE_LIMIT_ENABLED: 'false',
    STORAGE_DRIVER: 'local',
    STORAGE_LOCAL_DIR: storageDir,
    UPLOAD_QUOTA_BYTES: '0',
    UPLOAD_MAX_ATTACHMENT_BYTES: String(20 * MB),
    LOG_LEVEL: 'warn',
  };
}

async function withApi(name, storageDir, ctx, harness, work) {
  const server = await harness.startServer({ name, target: 'api', env: apiEnv(storageDir) }, ctx, harness.slug(name));
  try {
    await harness.waitReady(server);
    return await work(server);
  } finally {
    await harness.stopServer(server);
  }
}

async function signIn(port) {
  const response = await fetch(`http://${LOOPBACK}:${port}/api/v1/auth/wechat/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: `bench-upload-${process.pid}-${randomBytes(4).toString('hex')}` }),
  });
  const body = await response.json();
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${JSON.stringify(body)}`);
  return body.data.accessToken;
}

/** One multipart upload over its own connection, the file written in 64 KB chunks as a phone would send it. */
function uploadOnce(port, token, purpose, file, name) {
  const boundary = `----bench${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n${purpose}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: LOOPBACK,
        port,
        method: 'POST',
        path: '/api/v1/uploads',
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(head.length + file.length + tail.length),
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => (response.statusCode === 201 ? resolve(JSON.parse(text).data) : reject(new Error(`upload: ${response.statusCode} ${text.slice(0, 200)}`))));
      },
    );
    request.on('error', reject);
    void (async () => {
      request.write(head);
      for (let offset = 0; offset < file.length; offset += 64 * 1024) {
        if (!request.write(file.subarray(offset, offset + 64 * 1024))) await new Promise((drained) => request.once('drain', drained));
      }
      request.end(tail);
    })();
  });
}

function rssOf(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

/** `concurrency` uploads of `sizeMb` at once, `bursts` times: MB/s over the bursts and the server's peak RSS. */
async function uploadBurst(scenario, ctx, harness, storageDir) {
  return withApi(scenario.name, storageDir, ctx, harness, async (server) => {
    const token = await signIn(server.port);
    // PDF magic bytes and random content: an attachment streams to storage as is (no image decode)
    const file = Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'), randomBytes(scenario.sizeMb * MB - 15)]);
    await uploadOnce(server.port, token, 'attachment', file, 'warm-up.pdf');
    const idleRssMb = rssOf(server.pid).rssMb;
    let peakSampledMb = idleRssMb;
    const sampler = setInterval(() => {
      peakSampledMb = Math.max(peakSampledMb, rssOf(server.pid).rssMb);
    }, 20);
    const rates = [];
    try {
      for (let burst = 0; burst < scenario.bursts; burst++) {
        const started = performance.now();
        await Promise.all(Array.from({ length: scenario.concurrency }, (_, index) => uploadOnce(server.port, token, 'attachment', file, `b${burst}-${index}.pdf`)));
        const seconds = (performance.now() - started) / 1000;
        rates.push((scenario.concurrency * scenario.sizeMb) / seconds);
        await sleep(200);
      }
    } finally {
      clearInterval(sampler);
    }
    const { hwmMb } = rssOf(server.pid);
    const mbPerSecond = round(median(rates), 1);
    return {
      mbPerSecond,
      burstMbPerSecond: rates.map((rate) => round(rate, 1)),
      idleRssMb: round(idleRssMb, 1),
      peakRssMb: round(Math.max(hwmMb, peakSampledMb), 1),
      summary: `${mbPerSecond} MB/s (bursts ${rates.map((rate) => round(rate, 1)).join(', ')}), RSS idle ${round(idleRssMb, 1)} MB, peak ${round(Math.max(hwmMb, peakSampledMb), 1)} MB`,
    };
  });
}

/** A ~1 MB PNG of noise (does not compress), uploaded as a public product image. */
async function oneMegabytePng() {
  const side = 600;
  return sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
}

/** GET of one public file through the API, in interleaved wrk slices with bare Fastify streaming the same file from disk. */
async function downloadVsBaseline(scenario, ctx, harness, storageDir) {
  return withApi(scenario.name, storageDir, ctx, harness, async (api) => {
    const token = await signIn(api.port);
    const uploaded = await uploadOnce(api.port, token, 'product', await oneMegabytePng(), 'noise.png');
    const filePath = path.join(storageDir, 'files', uploaded.id.slice(0, 2), uploaded.id);
    const baselineName = `${scenario.name} (baseline)`;
    const baseline = await harness.startServer({ name: baselineName, target: 'baselineFile', env: { BENCH_FILE: filePath } }, ctx, harness.slug(baselineName));
    try {
      await harness.waitReady(baseline);
      const apiPath = `/api/v1/files/${uploaded.id}`;
      const check = await fetch(`http://${LOOPBACK}:${api.port}${apiPath}`);
      const bytes = Buffer.from(await check.arrayBuffer());
      if (check.status !== 200 || bytes.length !== uploaded.size) throw new Error(`GET ${apiPath}: ${check.status}, ${bytes.length} bytes`);
      const sliceS = Math.max(1, Math.ceil(harness.config.durationS / harness.config.rounds));
      const load = (port, urlPath, durationS) => harness.runWrk({ port, path: urlPath, connections: scenario.connections, durationS });
      if (harness.config.warmupS > 0) {
        await load(api.port, apiPath, harness.config.warmupS);
        await load(baseline.port, '/file', harness.config.warmupS);
      }
      const apiRates = [];
      const baseRates = [];
      const ratios = [];
      let errors = 0;
      for (let round_ = 0; round_ < harness.config.rounds; round_++) {
        const base = harness.summarizeWrk(await load(baseline.port, '/file', sliceS));
        const ours = harness.summarizeWrk(await load(api.port, apiPath, sliceS));
        errors += ours.errors.total + base.errors.total;
        apiRates.push(ours.reqPerSec);
        baseRates.push(base.reqPerSec);
        if (base.reqPerSec > 0) ratios.push(ours.reqPerSec / base.reqPerSec);
      }
      const reqPerSec = median(apiRates);
      const baselineReqPerSec = median(baseRates);
      const ratio = round(median(ratios), 2);
      const mb = uploaded.size / MB;
      return {
        fileBytes: uploaded.size,
        reqPerSec,
        baselineReqPerSec,
        ratio,
        mbPerSecond: round(reqPerSec * mb, 0),
        baselineMbPerSecond: round(baselineReqPerSec * mb, 0),
        errors,
        rssMb: round(rssOf(api.pid).rssMb, 1),
        summary: `API ${reqPerSec} req/s (${round(reqPerSec * mb, 0)} MB/s) vs bare fastify ${baselineReqPerSec} req/s: ratio ${ratio}, errors ${errors}`,
      };
    } finally {
      await harness.stopServer(baseline);
    }
  });
}
