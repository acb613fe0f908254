import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@app/http';

@ApiTags('system')
@Public()
@Controller('ping')
export class PingController {
  /** Cheapest round trip through the whole pipeline; clients use it to check reachability. */
  @Get()
  @ApiOperation({ summary: 'Reachability check through the full request pipeline' })
  ping(): { pong: true } {
    return { pong: true };
  }
}
