import { Module } from '@nestjs/common';
import { DiagnosticsController } from './diagnostics.controller';
import { RateLimitDiagnosticsController } from './rate-limit-diagnostics.controller';

@Module({ controllers: [DiagnosticsController, RateLimitDiagnosticsController] })
export class DiagnosticsModule {}
