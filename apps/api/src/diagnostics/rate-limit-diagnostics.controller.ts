import { Controller, Get, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { RateLimit } from '@app/resilience';
import { Public } from '@app/http';

/** A route with a small limit, for the rate-limit e2e suite (ENABLE_TEST_ROUTES only). */
@ApiExcludeController()
@Public()
@Controller('diagnostics/rate-limited')
export class RateLimitDiagnosticsController {
  @Get()
  @RateLimit({ limit: 5, windowMs: 2_000 })
  limited(@Req() request: FastifyRequest): { clientIp: string } {
    return { clientIp: request.ip };
  }

  @Get('by-ip')
  @RateLimit({ limit: 3, windowMs: 60_000, keyBy: 'ip' })
  byIp(): { ok: true } {
    return { ok: true };
  }
}
