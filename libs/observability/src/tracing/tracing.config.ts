import { IsInt, IsNumber, IsOptional, IsString, IsUrl, Max, MaxLength, Min } from 'class-validator';
import { defineConfig, parseEnv, ToInteger } from '@app/config';
import { Transform } from 'class-transformer';

class TracingEnv {
  /** OTLP/HTTP collector base URL (spans go to `<it>/v1/traces`); unset: tracing is off. */
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true }, { message: 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL' })
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;

  @IsOptional()
  @IsString()
  @MaxLength(100)
  OTEL_SERVICE_NAME?: string;

  /** Share of new traces recorded (a caller's sampled flag is followed): 0.1 = 10 %. */
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value))
  @IsNumber({}, { message: 'OTEL_TRACES_SAMPLER_ARG must be a number between 0 and 1' })
  @Min(0)
  @Max(1)
  OTEL_TRACES_SAMPLER_ARG?: number;

  /** How often finished spans are sent (ms). */
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(10)
  @Max(60_000)
  OTEL_BSP_SCHEDULE_DELAY?: number;
}

export interface TracingConfig {
  /** null: tracing is off (no SDK loaded, no hooks installed). */
  endpoint: string | null;
  serviceName: string;
  sampleRatio: number;
  exportDelayMs: number;
}

export function loadTracingConfig(env: NodeJS.ProcessEnv): TracingConfig {
  const parsed = parseEnv(TracingEnv, env);
  return {
    endpoint: parsed.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, '') ?? null,
    serviceName: parsed.OTEL_SERVICE_NAME ?? 'wxmp-backend',
    sampleRatio: parsed.OTEL_TRACES_SAMPLER_ARG ?? 0.1,
    exportDelayMs: parsed.OTEL_BSP_SCHEDULE_DELAY ?? 5_000,
  };
}

export const tracingConfig = defineConfig('tracing', loadTracingConfig);
