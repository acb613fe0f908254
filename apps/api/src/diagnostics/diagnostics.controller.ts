import { Body, Controller, Delete, Get, HttpCode, Param, ParseIntPipe, Post, Query } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { EchoDto } from './dto/echo.dto';
import { SlowQueryDto } from './dto/slow-query.dto';
import { Public } from '@app/http';

/**
 * Routes the e2e suite drives the pipeline with (validation, slow requests during
 * shutdown, unexpected errors). Mounted only with ENABLE_TEST_ROUTES=true, which the
 * config refuses when NODE_ENV=production.
 */
@ApiExcludeController()
@Public()
@Controller('diagnostics')
export class DiagnosticsController {
  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: EchoDto): EchoDto {
    return body;
  }

  @Get('slow')
  async slow(@Query() query: SlowQueryDto): Promise<{ sleptMs: number }> {
    await new Promise((resolve) => setTimeout(resolve, query.ms));
    return { sleptMs: query.ms };
  }

  @Get('items/:id')
  item(@Param('id', ParseIntPipe) id: number): { id: number } {
    return { id };
  }

  @Delete('items/:id')
  removeItem(@Param('id', ParseIntPipe) _id: number): void {
    // nothing to return: the client still gets an envelope with data null
  }

  @Get('crash')
  crash(): never {
    throw new Error('deliberate failure with internal detail /etc/secret at line 42');
  }
}
