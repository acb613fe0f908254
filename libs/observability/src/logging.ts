import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import { REDACT_PATHS, REDACTED, sanitizeUrl } from './log-redaction';
import { ObservabilityConfig } from './observability.config';

/** Set on the raw request by the Fastify hook so the request log names the route template. */
export interface ObservedRequest extends IncomingMessage {
  routeTemplate?: string;
}

const QUIET_PREFIXES = ['/health/', '/metrics'];

export function buildLoggerParams(config: ObservabilityConfig): Params {
  return {
    // Fastify passes raw requests to middleware; without a splat route nothing is logged
    forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
    pinoHttp: {
      level: config.logLevel,
      autoLogging: config.httpLogEnabled,
      quietReqLogger: true,
      genReqId: (request: IncomingMessage) => request.id ?? randomUUID(),
      customAttributeKeys: { reqId: 'requestId', responseTime: 'durationMs' },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      serializers: {
        req: (request: ObservedRequest) => ({ method: request.method, url: sanitizeUrl(request.url) }),
        res: (response: ServerResponse) => ({ statusCode: response.statusCode }),
      },
      customSuccessObject: (request: IncomingMessage, _response: ServerResponse, value: Record<string, unknown>) => ({
        ...value,
        route: (request as ObservedRequest).routeTemplate ?? 'unmatched',
      }),
      customErrorObject: (
        request: IncomingMessage,
        _response: ServerResponse,
        _error: Error,
        value: Record<string, unknown>,
      ) => ({ ...value, route: (request as ObservedRequest).routeTemplate ?? 'unmatched' }),
      customSuccessMessage: (request: IncomingMessage, response: ServerResponse) =>
        `${request.method} ${(request as ObservedRequest).routeTemplate ?? sanitizeUrl(request.url)} ${response.statusCode}`,
      customErrorMessage: (request: IncomingMessage, response: ServerResponse) =>
        `${request.method} ${(request as ObservedRequest).routeTemplate ?? sanitizeUrl(request.url)} ${response.statusCode}`,
      // probes and scrapes arrive every few seconds: keep them out of info-level logs
      customLogLevel: (request: IncomingMessage, response: ServerResponse, error?: Error) => {
        if (QUIET_PREFIXES.some((prefix) => request.url?.startsWith(prefix))) return 'debug';
        if (error || response.statusCode >= 500) return 'error';
        return 'info';
      },
      transport: config.logPretty
        ? { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } }
        : undefined,
    },
  };
}
