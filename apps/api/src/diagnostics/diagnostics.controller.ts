import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { DiagnosticContactDto } from './dto/diagnostic-contact.dto';
import { EchoDto } from './dto/echo.dto';
import { SlowQueryDto } from './dto/slow-query.dto';
import { ParseIdPipe, Public } from '@app/http';

/**
 * Routes the e2e suite drives the pipeline with (validation, slow requests during
 * shutdown, unexpected errors). Mounted only with ENABLE_TEST_ROUTES=true, which the
 * config refuses when NODE_ENV=production.
 */
@ApiExcludeController()
@Public()
@Controller('diagnostics')
export class DiagnosticsController {
  private contactsTable: Promise<unknown> | null = null;

  constructor(private readonly dataSource: DataSource) {}

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
  item(@Param('id', ParseIdPipe) id: number): { id: number } {
    return { id };
  }

  @Delete('items/:id')
  removeItem(@Param('id', ParseIdPipe) _id: number): void {
    // nothing to return: the client still gets an envelope with data null
  }

  @Get('crash')
  crash(): never {
    throw new Error('deliberate failure with internal detail /etc/secret at line 42');
  }

  /**
   * An insert the database refuses the second time (the phone is the key): an unexpected 500 whose
   * error carries the value three times over (TypeORM's parameters, mysql2's sql and sqlMessage),
   * for the test that none of them reaches the log.
   */
  @Post('contacts')
  @HttpCode(200)
  async addContact(@Body() body: DiagnosticContactDto): Promise<{ added: true }> {
    this.contactsTable ??= this.dataSource.query('CREATE TABLE IF NOT EXISTS diagnostics_contacts (phone VARCHAR(32) PRIMARY KEY)');
    await this.contactsTable;
    await this.dataSource.query('INSERT INTO diagnostics_contacts (phone) VALUES (?)', [body.phone]);
    return { added: true };
  }
}
