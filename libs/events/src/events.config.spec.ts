import { ConfigValidationError } from '@app/config';
import { loadEventsConfig } from './events.config';

describe('loadEventsConfig', () => {
  it('polls every 200 ms, 100 rows a pass, and keeps sent rows 72 h by default', () => {
    expect(loadEventsConfig({})).toEqual({ pollIntervalMs: 200, batchSize: 100, retentionHours: 72, testCrashAfterCommit: false, testCrashAfterPublish: false });
  });

  it('honours the crash-drill hooks only with the diagnostics routes, and never in production', () => {
    expect(loadEventsConfig({ ENABLE_TEST_ROUTES: 'true', TEST_OUTBOX_CRASH_AFTER_COMMIT: 'true' }).testCrashAfterCommit).toBe(true);
    expect(() => loadEventsConfig({ TEST_OUTBOX_CRASH_AFTER_COMMIT: 'true' })).toThrow(ConfigValidationError);
    expect(() => loadEventsConfig({ NODE_ENV: 'production', ENABLE_TEST_ROUTES: 'false', TEST_OUTBOX_CRASH_AFTER_PUBLISH: 'true' })).toThrow(
      /test hooks/,
    );
  });

  it('names the variable that is out of range', () => {
    expect(() => loadEventsConfig({ OUTBOX_BATCH_SIZE: '5000' })).toThrow(/OUTBOX_BATCH_SIZE must not be greater than 1000/);
  });
});
