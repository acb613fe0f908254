import { ConfigValidationError } from '@app/config';
import { loadHttpConfig } from './http.config';

describe('loadHttpConfig', () => {
  it('defaults to the limits of a public API, with write batching on', () => {
    expect(loadHttpConfig({})).toEqual({
      bodyLimitBytes: 1_048_576,
      keepAliveTimeoutMs: 72_000,
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
      connectionsCheckingIntervalMs: 1000,
      jsonMaxDepth: 32,
      jsonMaxKeys: 1000,
      backlog: 4096,
      acceptHandles: 16,
      writeBatching: true,
      trustedProxies: [],
    });
  });

  it('holds request timers to a quarter of the shorter timeout, at most a second (Node checks every 30 s by default)', () => {
    expect(loadHttpConfig({ HTTP_REQUEST_TIMEOUT_MS: '3000' })).toMatchObject({
      requestTimeoutMs: 3000,
      headersTimeoutMs: 3000,
      connectionsCheckingIntervalMs: 750,
    });
    expect(loadHttpConfig({ HTTP_HEADERS_TIMEOUT_MS: '2000' })).toMatchObject({ headersTimeoutMs: 2000, connectionsCheckingIntervalMs: 500 });
    expect(() => loadHttpConfig({ HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '6000' })).toThrow(
      /HTTP_HEADERS_TIMEOUT_MS must not be longer than HTTP_REQUEST_TIMEOUT_MS/,
    );
  });

  it('reads the JSON structure limits', () => {
    expect(loadHttpConfig({ HTTP_JSON_MAX_DEPTH: '8', HTTP_JSON_MAX_KEYS: '50000' })).toMatchObject({ jsonMaxDepth: 8, jsonMaxKeys: 50_000 });
    expect(() => loadHttpConfig({ HTTP_JSON_MAX_DEPTH: '0' })).toThrow(/HTTP_JSON_MAX_DEPTH/);
    expect(() => loadHttpConfig({ HTTP_JSON_MAX_KEYS: 'lots' })).toThrow(/HTTP_JSON_MAX_KEYS/);
  });

  it('reads HTTP_WRITE_BATCHING as a boolean', () => {
    expect(loadHttpConfig({ HTTP_WRITE_BATCHING: 'false' }).writeBatching).toBe(false);
    expect(loadHttpConfig({ HTTP_WRITE_BATCHING: 'on' }).writeBatching).toBe(true);
  });

  it('names the variable when a value is not understood', () => {
    expect(() => loadHttpConfig({ HTTP_WRITE_BATCHING: 'sometimes' })).toThrow(ConfigValidationError);
    expect(() => loadHttpConfig({ HTTP_WRITE_BATCHING: 'sometimes' })).toThrow(/HTTP_WRITE_BATCHING/);
    expect(() => loadHttpConfig({ TRUSTED_PROXIES: '10.0.0.1,not-an-ip' })).toThrow(/TRUSTED_PROXIES/);
  });

  it('takes trusted proxies as addresses, CIDR ranges or the private-range names, and refuses a malformed range', () => {
    expect(loadHttpConfig({ TRUSTED_PROXIES: '10.0.0.1, 10.244.0.0/16,fd00::/8,uniquelocal,loopback' }).trustedProxies).toEqual([
      '10.0.0.1',
      '10.244.0.0/16',
      'fd00::/8',
      'uniquelocal',
      'loopback',
    ]);
    expect(() => loadHttpConfig({ TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(/TRUSTED_PROXIES must be .*CIDR/);
  });
});
