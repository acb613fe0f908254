import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, Roles, Signed } from '@app/http';
import { RateLimit } from '@app/resilience';
import { EchoDto } from './dto/echo.dto';

/** Signed-in routes for the auth e2e suite (ENABLE_TEST_ROUTES only). */
@ApiExcludeController()
@Controller('diagnostics/access')
export class AccessDiagnosticsController {
  /** Per signed-in caller: proves the auth guard runs before the rate limiter. */
  @Get('per-user-limited')
  @RateLimit({ limit: 3, windowMs: 60_000 })
  perUser(@CurrentPrincipal() principal: Principal): { id: number; kind: string } {
    return { id: principal.id, kind: principal.kind };
  }

  @Get('admin-only')
  @Roles('admin')
  adminOnly(): { ok: true } {
    return { ok: true };
  }

  @Post('signed')
  @HttpCode(200)
  @Signed()
  signedEcho(@Body() body: EchoDto): EchoDto {
    return body;
  }

  @Get('signed')
  @Signed()
  signedRead(): { ok: true } {
    return { ok: true };
  }
}
