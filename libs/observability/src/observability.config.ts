import { IsBoolean, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { defineConfig, parseEnv, ToBoolean, ToInteger } from '@app/config';

class ObservabilityEnv {
  NODE_ENV?: string;
  PORT?: string;

  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL?: string;

  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  LOG_PRETTY?: boolean;

  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  HTTP_LOG_ENABLED?: boolean;

  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  METRICS_ENABLED?: boolean;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(65535)
  METRICS_PORT?: number;
}

export interface ObservabilityConfig {
  logLevel: string;
  /** Human-readable logs for development; JSON lines (for the log shipper) in production. */
  logPretty: boolean;
  /** One log line per request; off only for measuring what it costs. */
  httpLogEnabled: boolean;
  /** Request histogram; off only for measuring what it costs. */
  metricsEnabled: boolean;
  /**
   * Where GET /metrics is served: null = on the API's port (the default, as before), else a port of
   * its own on the same address, and the API's port answers 404 for it (METRICS_PORT).
   */
  metricsPort: number | null;
}

export function loadObservabilityConfig(env: NodeJS.ProcessEnv): ObservabilityConfig {
  const parsed = parseEnv(ObservabilityEnv, env);
  const development = (parsed.NODE_ENV ?? 'development') === 'development';
  return {
    logLevel: parsed.LOG_LEVEL ?? 'info',
    logPretty: parsed.LOG_PRETTY ?? development,
    httpLogEnabled: parsed.HTTP_LOG_ENABLED ?? true,
    metricsEnabled: parsed.METRICS_ENABLED ?? true,
    metricsPort: parsed.METRICS_PORT === undefined || String(parsed.METRICS_PORT) === (parsed.PORT ?? '3000') ? null : parsed.METRICS_PORT,
  };
}

export const observabilityConfig = defineConfig('observability', loadObservabilityConfig);
