import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AccessDiagnosticsController } from './access-diagnostics.controller';
import { circuitDiagnosticsConfig } from './circuit-diagnostics.config';
import { CacheDiagnosticsController } from './cache-diagnostics.controller';
import { CircuitDiagnosticsController } from './circuit-diagnostics.controller';
import { DiagnosticsController } from './diagnostics.controller';
import { DiagnosticWork } from './diagnostic-work';
import { IdempotencyDiagnosticsController } from './idempotency-diagnostics.controller';
import { JobsDiagnosticsController } from './jobs-diagnostics.controller';
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
    JobsDiagnosticsController,
  ],
  // its job handlers and event consumer also run in APP_ROLE=worker processes, which serve no routes
  providers: [DiagnosticWork],
})
export class DiagnosticsModule {}
