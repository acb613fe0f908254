import { IsOptional, IsUrl } from 'class-validator';
import { defineConfig, parseEnv } from '@app/config';

class CircuitDiagnosticsEnv {
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true })
  DIAGNOSTICS_UPSTREAM_URL?: string;
}

/** The HTTP server the circuit-breaker diagnostics routes call (ENABLE_TEST_ROUTES only). */
export interface CircuitDiagnosticsConfig {
  upstreamUrl: string | null;
}

export function loadCircuitDiagnosticsConfig(env: NodeJS.ProcessEnv): CircuitDiagnosticsConfig {
  return { upstreamUrl: parseEnv(CircuitDiagnosticsEnv, env).DIAGNOSTICS_UPSTREAM_URL ?? null };
}

export const circuitDiagnosticsConfig = defineConfig('circuitDiagnostics', loadCircuitDiagnosticsConfig);
