import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { SamplingDecision, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-node';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { installRequestTracing, traceIdOfRequest } from './request-tracing';
import { REQUEST_ROOT_DRAWN, requestAwareRootSampler, shutdownTracing, startTracing } from './tracing';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('requestAwareRootSampler', () => {
  it('records a request root the request hook drew, without drawing again', () => {
    const sampler = requestAwareRootSampler(new TraceIdRatioBasedSampler(0), SamplingDecision.RECORD_AND_SAMPLED);
    expect(sampler.shouldSample(ROOT_CONTEXT, traceId, 'GET', SpanKind.SERVER, { [REQUEST_ROOT_DRAWN]: true }, []).decision).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it('leaves any other root (a job, a sweep) to the trace-id ratio', () => {
    const never = requestAwareRootSampler(new TraceIdRatioBasedSampler(0), SamplingDecision.RECORD_AND_SAMPLED);
    const always = requestAwareRootSampler(new TraceIdRatioBasedSampler(1), SamplingDecision.RECORD_AND_SAMPLED);
    expect(never.shouldSample(ROOT_CONTEXT, traceId, 'job', SpanKind.CONSUMER, {}, []).decision).toBe(SamplingDecision.NOT_RECORD);
    expect(never.shouldSample(ROOT_CONTEXT, traceId, 'GET', SpanKind.SERVER, { [REQUEST_ROOT_DRAWN]: false }, []).decision).toBe(SamplingDecision.NOT_RECORD);
    expect(always.shouldSample(ROOT_CONTEXT, traceId, 'job', SpanKind.CONSUMER, {}, []).decision).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });
});

describe('installRequestTracing at a sample ratio of 0', () => {
  let app: FastifyInstance;
  const seen: Array<string | undefined> = [];
  let get: (headers?: Record<string, string>) => Promise<Response>;

  beforeAll(async () => {
    // startTracing() resolves the SDK from its own file (CommonJS __filename), which the ESM unit run lacks
    Object.assign(globalThis, { __filename: path.join(process.cwd(), 'libs/observability/src/tracing/tracing.ts') });
    // the exporter's endpoint listens nowhere: nothing is recorded at ratio 0 unless a caller sampled
    startTracing({ endpoint: 'http://127.0.0.1:9', serviceName: 'spec', sampleRatio: 0, exportDelayMs: 60_000 }, { version: 'spec', role: 'api' });
    app = Fastify();
    installRequestTracing(app);
    app.get('/', async (request) => {
      seen.push(traceIdOfRequest(request));
      return 'ok';
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    get = (headers = {}) => fetch(`http://127.0.0.1:${port}/`, { headers });
  });

  afterAll(async () => {
    await app.close();
    await shutdownTracing();
  });

  it('gives a request that brings no trace no span at all (the 1 - ratio left out)', async () => {
    seen.length = 0;
    const response = await get();
    expect(response.status).toBe(200);
    expect(seen).toEqual([undefined]);
  });

  it("still continues a caller's sampled trace, whatever the ratio", async () => {
    seen.length = 0;
    await get({ traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    expect(seen).toEqual([traceId]);
  });

  it("keeps a caller's unsampled trace id, for the calls it makes onwards", async () => {
    seen.length = 0;
    await get({ traceparent: `00-${traceId}-00f067aa0ba902b7-00` });
    expect(seen).toEqual([traceId]);
  });

  it('treats a traceparent it cannot read as no trace', async () => {
    seen.length = 0;
    await get({ traceparent: 'not-a-traceparent' });
    expect(seen).toEqual([undefined]);
  });
});
