import { Injectable } from '@nestjs/common';
import { Logger } from 'nestjs-pino';

/** Nest's per-module and per-route boot lines: 60+ lines per start that say nothing new. */
const BOOT_CHATTER = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

/**
 * nestjs-pino's logger with Nest's boot chatter moved to debug, so the lines that matter at
 * start (profile, data location, WeChat target, "API ready") are the first ones an operator sees.
 */
@Injectable()
export class AppLogger extends Logger {
  override log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams[optionalParams.length - 1];
    // in the bundled build Nest's own classes are named "_InstanceLoader" etc. (decision 0011)
    if (typeof context === 'string' && BOOT_CHATTER.has(context.replace(/^_+/, ''))) {
      super.debug(message, ...optionalParams);
      return;
    }
    super.log(message, ...optionalParams);
  }
}
