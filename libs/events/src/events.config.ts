import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';
import { ConfigValidationError, defineConfig, loadAppConfig, parseEnv, ToBoolean, ToInteger } from '@app/config';

class EventsEnv {
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(10)
  @Max(60_000)
  OUTBOX_POLL_INTERVAL_MS?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(1_000)
  OUTBOX_BATCH_SIZE?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(24 * 365)
  EVENTS_RETENTION_HOURS?: number;

  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  TEST_OUTBOX_CRASH_AFTER_COMMIT?: boolean;

  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  TEST_OUTBOX_CRASH_AFTER_PUBLISH?: boolean;
}

export interface EventsConfig {
  /**
   * How often an idle relay looks for committed rows. A publish in this process wakes it at once
   * after the commit; rows written by other processes (APP_ROLE=api) wait at most this long.
   */
  pollIntervalMs: number;
  /** Rows claimed and published per relay pass. */
  batchSize: number;
  /** Sent outbox rows and consumers' handled-event records are deleted after this long. */
  retentionHours: number;
  /**
   * Crash drills (e2e only, ENABLE_TEST_ROUTES, never in production): kill -9 this process right
   * after a transaction that wrote an event commits (before the relay saw it), or right after the
   * relay published a batch (before it marked the rows sent).
   */
  testCrashAfterCommit: boolean;
  testCrashAfterPublish: boolean;
}

export function loadEventsConfig(env: NodeJS.ProcessEnv): EventsConfig {
  const parsed = parseEnv(EventsEnv, env);
  const crashAfterCommit = parsed.TEST_OUTBOX_CRASH_AFTER_COMMIT ?? false;
  const crashAfterPublish = parsed.TEST_OUTBOX_CRASH_AFTER_PUBLISH ?? false;
  if (crashAfterCommit || crashAfterPublish) {
    let app: ReturnType<typeof loadAppConfig> | null = null;
    try {
      app = loadAppConfig(env);
    } catch {
      // the app namespace reports its own problems
    }
    if (app && (app.productionSafeguards || !app.testRoutesEnabled)) {
      throw new ConfigValidationError([
        'TEST_OUTBOX_CRASH_AFTER_COMMIT and TEST_OUTBOX_CRASH_AFTER_PUBLISH are test hooks: they need ENABLE_TEST_ROUTES=true and are refused where the production safeguards apply',
      ]);
    }
  }
  return {
    pollIntervalMs: parsed.OUTBOX_POLL_INTERVAL_MS ?? 200,
    batchSize: parsed.OUTBOX_BATCH_SIZE ?? 100,
    retentionHours: parsed.EVENTS_RETENTION_HOURS ?? 72,
    testCrashAfterCommit: crashAfterCommit,
    testCrashAfterPublish: crashAfterPublish,
  };
}

export const eventsConfig = defineConfig('events', loadEventsConfig);
