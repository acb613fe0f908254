import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AccessDiagnosticsController } from './access-diagnostics.controller';
import { circuitDiagnosticsConfig } from './circuit-diagnostics.config';
import { CacheDiagnosticsController } from './cache-diagnostics.controller';
import { CircuitDiagnosticsController } from './circuit-diagnostics.controller';
import { DiagnosticsController } from './diagnostics.controller';
import { IdempotencyDiagnosticsController } from './idempotency-diagnostics.controller';
import { RateLimitDiagnosticsController } from './rate-limit-diagnostics.controller';

@Module({
  imports: [ConfigModule.forFeature(circuitDiagnosticsConfig)],
  controllers: [
    DiagnosticsController,
    RateLimitDiagnosticsController,
    IdempotencyDiagnosticsController,
    CircuitDiagnosticsController,
    CacheDiagnosticsController,
    AccessDiagnosticsController,
  ],
})
export class DiagnosticsModule {}
