import { randomBytes } from 'node:crypto';
import { createWechatEmulator } from '../apps/wechat-emulator/src/emulator';
import { type EnvelopeBody, request, type RunningApp } from './support/app-harness';
import { TEST_WECHAT_APP } from './support/environment';
import { isolatedRedisEnv } from './support/jobs-support';
import { OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver';
import { useTestDatabase } from './support/test-database';

const SERVER = 2; // OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer
const CLIENT = 3;
const CONSUMER = 5;

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const traceparent = (traceId: string, parentId: string, sampled = true): string => `00-${traceId}-${parentId}-${sampled ? '01' : '00'}`;

/** What the app wrote to stdout/stderr, as JSON lines (pretty logs are off in the production profile). */
function logLines(app: RunningApp): Array<Record<string, unknown>> {
  return app.child
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('traces: OpenTelemetry to a real OTLP/HTTP receiver', () => {
  const db = useTestDatabase();
  const receiver = new OtlpReceiver();
  const emulator = createWechatEmulator(TEST_WECHAT_APP);
  const seenByWechat: Array<string | undefined> = [];
  const redisEnv = isolatedRedisEnv('tracing');
  let app: RunningApp;
  let wechatUrl: string;

  beforeAll(async () => {
    await receiver.start();
    // WeChat's side of the call: the traceparent our client sends
    emulator.app.addHook('onRequest', (req, _reply, done) => {
      if (!req.url.startsWith('/__control')) seenByWechat.push(req.headers.traceparent as string | undefined);
      done();
    });
    await emulator.app.listen({ port: 0, host: '127.0.0.1' });
    wechatUrl = `http://127.0.0.1:${(emulator.app.server.address() as { port: number }).port}`;
    app = await db.startApp({
      ...redisEnv,
      WECHAT_API_BASE: wechatUrl,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_TRACES_SAMPLER_ARG: '1',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      LOG_LEVEL: 'info',
    });
  });

  afterAll(async () => {
    await app?.close();
    await emulator.app.close();
    await receiver.stop();
  });

  const signIn = async (headers: Record<string, string>): Promise<{ accessToken: string }> => {
    const code = `code-${hex(6)}`;
    await fetch(`${wechatUrl}/__control/codes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, openid: `o-${hex(6)}`, session_key: randomBytes(16).toString('base64') }),
    });
    const response = await request<EnvelopeBody<{ accessToken: string }>>(`${app.baseUrl}/api/v1/auth/wechat/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ code }),
    });
    expect(response.status).toBe(200);
    return response.body.data!;
  };

  it('continues the caller\'s trace: request span under its traceparent, WeChat, database and Redis spans under it, traceparent sent to WeChat', async () => {
    const traceId = hex(16);
    const callerSpan = hex(8);
    await signIn({ traceparent: traceparent(traceId, callerSpan) });

    await receiver.waitFor(() => receiver.spansOf(traceId).some((span) => span.kind === SERVER));
    await receiver.waitFor(() => receiver.spansOf(traceId).length >= 4);
    const all = receiver.spansOf(traceId);
    const server = all.find((span) => span.kind === SERVER)!;
    expect(server.name).toBe('POST /api/v1/auth/wechat/login');
    expect(server.parentSpanId).toBe(callerSpan);
    expect(server.attributes['http.response.status_code']).toBe(200);
    expect(server.resource['service.name']).toBe('wxmp-backend');

    const children = (predicate: (span: ReceivedSpan) => boolean) => all.filter((span) => span.kind === CLIENT && predicate(span));
    const wechat = children((span) => span.name.startsWith('wechat '));
    expect(wechat.length).toBeGreaterThan(0);
    expect(wechat[0].parentSpanId).toBe(server.spanId);
    expect(wechat[0].name).toBe('wechat GET /sns/jscode2session');
    // WeChat received our span as its parent: W3C traceparent out
    expect(seenByWechat).toContain(traceparent(traceId, wechat[0].spanId));

    const database = children((span) => span.attributes['db.system.name'] === 'mysql');
    expect(database.length).toBeGreaterThan(0);
    expect(database.every((span) => typeof span.attributes['db.query.text'] === 'string')).toBe(true);
    const redis = children((span) => span.attributes['db.system.name'] === 'redis');
    expect(redis.length).toBeGreaterThan(0);
  });

  it('puts the trace id in the request\'s log line', async () => {
    const traceId = hex(16);
    await request(`${app.baseUrl}/api/v1/ping`, { headers: { traceparent: traceparent(traceId, hex(8)) } });
    await receiver.waitFor(() => receiver.spansOf(traceId).length > 0);
    await new Promise((resolve) => setTimeout(resolve, 400)); // the log batch is written every 200 ms
    const line = logLines(app).find((entry) => entry.traceId === traceId);
    expect(line).toMatchObject({ msg: 'GET /api/v1/ping 200', route: '/api/v1/ping' });
  });

  it('carries the trace into a job: the run is a CONSUMER span under the request that enqueued it', async () => {
    const traceId = hex(16);
    const response = await request<EnvelopeBody<{ id: string }>>(`${app.baseUrl}/api/v1/diagnostics/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: traceparent(traceId, hex(8)) },
      body: JSON.stringify({ key: `traced-${hex(4)}` }),
    });
    expect(response.status).toBe(200);
    await receiver.waitFor(() => receiver.spansOf(traceId).some((span) => span.kind === CONSUMER));
    const spans = receiver.spansOf(traceId);
    const server = spans.find((span) => span.kind === SERVER)!;
    const job = spans.find((span) => span.kind === CONSUMER)!;
    expect(job.name).toBe('job diagnostics.record');
    expect(job.parentSpanId).toBe(server.spanId);
    // the job's own database work is in the same trace, under the job
    await receiver.waitFor(() => receiver.spansOf(traceId).some((span) => span.parentSpanId === job.spanId));
  });

  it('starts a new trace without traceparent, and records nothing for a caller that did not sample', async () => {
    const before = receiver.spans.length;
    await request(`${app.baseUrl}/api/v1/ping`);
    await receiver.waitFor(() => receiver.spans.slice(before).some((span) => span.kind === SERVER && span.name === 'GET /api/v1/ping' && span.parentSpanId === ''));

    const unsampled = hex(16);
    await request(`${app.baseUrl}/api/v1/ping`, { headers: { traceparent: traceparent(unsampled, hex(8), false) } });
    await request(`${app.baseUrl}/api/v1/ping`); // a sampled one after it, to know a batch went out
    const marker = receiver.spans.length;
    await receiver.waitFor(() => receiver.spans.length > marker || receiver.spans.slice(before).filter((span) => span.name === 'GET /api/v1/ping').length >= 2);
    expect(receiver.spansOf(unsampled)).toEqual([]);
  });
});

describe('traces: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set', () => {
  const db = useTestDatabase();
  const receiver = new OtlpReceiver();

  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());

  it('exports nothing and writes no trace ids, even with a traceparent', async () => {
    const app = await db.startApp({ OTEL_BSP_SCHEDULE_DELAY: '100', LOG_LEVEL: 'info' });
    const traceId = hex(16);
    expect((await request(`${app.baseUrl}/api/v1/ping`, { headers: { traceparent: traceparent(traceId, hex(8)) } })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.requests).toEqual([]);
    const lines = logLines(app);
    expect(lines.some((entry) => entry.msg === 'GET /api/v1/ping 200')).toBe(true);
    expect(lines.some((entry) => 'traceId' in entry)).toBe(false);
    await app.close();
  });
});
