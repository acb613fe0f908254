import { jest } from '@jest/globals';
import pino from 'pino';
import { loggerOptions } from './logging';
import { loadObservabilityConfig } from './observability.config';
import { RequestLineWriter, type RequestLogFields, type RequestLogLevel } from './request-log-line';

/** A pino logger with the service's own options (production: JSON, redaction), writing into an array. */
function serviceLogger(env: NodeJS.ProcessEnv = {}): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const options = loggerOptions(loadObservabilityConfig({ NODE_ENV: 'production', LOG_LEVEL: 'debug', ...env }));
  const logger = pino(options, { write: (line: string) => lines.push(line) });
  return { logger, lines };
}

const cases: [RequestLogLevel, RequestLogFields][] = [
  ['info', { requestId: 'log-check-1', method: 'GET', url: '/api/v1/items/4711', route: '/api/v1/items/:id', status: 200, durationMs: 0.37 }],
  ['error', { requestId: '3f1c2a9e-0b7d-4e57-9a8f-2c1d6b5e4a10', method: 'POST', url: '/api/v1/orders', route: '/api/v1/orders', status: 503, durationMs: 12 }],
  ['debug', { requestId: 'probe', method: 'GET', url: '/health/ready', route: '/health/ready', status: 200, durationMs: 1.5 }],
  // a URL with characters JSON must escape, and a query whose value was already redacted
  ['info', { requestId: 'x', method: 'GET', url: '/api/v1/s?q=%22a%22&k="b\\c"&access_token=[REDACTED]', route: 'unmatched', status: 404, durationMs: 0 }],
  ['info', { requestId: 'cn', method: 'GET', url: '/api/v1/搜索?q=订单', route: '/api/v1/搜索', status: 200, durationMs: 2.25 }],
  // the caller sent its own X-Request-Id: echoed as requestId, the server's own id beside it
  ['info', { requestId: 'gw-1a2b.c:3', serverRequestId: '9b2f7c1e-3d4a-4f6b-8c2d-1e0f9a8b7c6d', method: 'GET', url: '/p', route: '/p', status: 200, durationMs: 1 }],
];

describe('RequestLineWriter', () => {
  beforeEach(() => {
    // pino's time field and ours must read the same clock value
    jest.useFakeTimers({ now: new Date('2026-12-01T08:00:00.123Z') });
  });
  afterEach(() => jest.useRealTimers());

  it.each(cases)('writes exactly what pino writes for the same %s request line', (level, fields) => {
    const { logger, lines } = serviceLogger();
    const writer = new RequestLineWriter(logger);
    logger[level]({ ...fields }, `${fields.method} ${fields.route} ${fields.status}`);
    const pattern = RequestLineWriter.pattern(fields.method, fields.route, fields.status);
    writer.write(level, pattern, fields.requestId, fields.url, fields.durationMs, fields.serverRequestId ?? null);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe(lines[0]);
    expect(JSON.parse(lines[1])).toMatchObject({ ...fields, msg: `${fields.method} ${fields.route} ${fields.status}` });
  });

  it('carries the bindings of a child logger like pino does', () => {
    const { logger, lines } = serviceLogger();
    const child = logger.child({ pod: 'api-7d9f' });
    new RequestLineWriter(child).write('info', RequestLineWriter.pattern('GET', '/p', 200), 'id-1', '/p', 1);
    child.info({ requestId: 'id-1', method: 'GET', url: '/p', route: '/p', status: 200, durationMs: 1 }, 'GET /p 200');
    expect(lines[0]).toBe(lines[1]);
    expect(JSON.parse(lines[0])).toMatchObject({ pod: 'api-7d9f' });
  });

  it('follows the logger level', () => {
    const { logger } = serviceLogger({ LOG_LEVEL: 'info' });
    const writer = new RequestLineWriter(logger);
    expect(writer.isLevelEnabled('debug')).toBe(false);
    expect(writer.isLevelEnabled('info')).toBe(true);
    expect(writer.isLevelEnabled('error')).toBe(true);
  });
});
