import { ConfigValidationError } from '@app/config';
import { loadHttpConfig } from './http.config';

describe('loadHttpConfig', () => {
  it('defaults to the limits of a public API, with write batching on', () => {
    expect(loadHttpConfig({})).toEqual({
      bodyLimitBytes: 1_048_576,
      keepAliveTimeoutMs: 72_000,
      requestTimeoutMs: 30_000,
      backlog: 4096,
      acceptHandles: 16,
      writeBatching: true,
      trustedProxies: [],
    });
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
});
