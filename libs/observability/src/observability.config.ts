import { IsBoolean, IsIn, IsOptional } from 'class-validator';
import { defineConfig, parseEnv, ToBoolean } from '@app/config';

class ObservabilityEnv {
  NODE_ENV?: string;

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
}

export interface ObservabilityConfig {
  logLevel: string;
  /** Human-readable logs for development; JSON lines (for the log shipper) in production. */
  logPretty: boolean;
  /** One log line per request; off only for measuring what it costs. */
  httpLogEnabled: boolean;
  /** Request histogram; off only for measuring what it costs. */
  metricsEnabled: boolean;
}

export function loadObservabilityConfig(env: NodeJS.ProcessEnv): ObservabilityConfig {
  const parsed = parseEnv(ObservabilityEnv, env);
  const development = (parsed.NODE_ENV ?? 'development') === 'development';
  return {
    logLevel: parsed.LOG_LEVEL ?? 'info',
    logPretty: parsed.LOG_PRETTY ?? development,
    httpLogEnabled: parsed.HTTP_LOG_ENABLED ?? true,
    metricsEnabled: parsed.METRICS_ENABLED ?? true,
  };
}

export const observabilityConfig = defineConfig('observability', loadObservabilityConfig);
