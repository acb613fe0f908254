import { Controller, Get } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public, type ReleaseConfig } from '@app/http';

export interface VersionInfo {
  version: string;
  commit: string;
  buildTime: string;
  /** The oldest X-Client-Version served; null when every client is. */
  minClientVersion: string | null;
}

@ApiTags('system')
@Public()
@Controller('version')
export class VersionController {
  private readonly info: VersionInfo;

  constructor(config: ConfigService) {
    const { version, commit, buildTime, minClientVersion } = config.getOrThrow<ReleaseConfig>('release');
    this.info = { version, commit, buildTime, minClientVersion };
  }

  /** Which build answers (stamped by the image build), and the oldest client build it serves; never gated itself. */
  @Get()
  @ApiOperation({ summary: 'Build version, commit and build time, and the minimum client version' })
  version(): VersionInfo {
    return this.info;
  }
}
