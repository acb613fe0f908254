import pino from 'pino';

export type RequestLogLevel = 'debug' | 'info' | 'error';

/** The fields of the one line per request; all of them are ours (the URL already sanitized). */
export interface RequestLogFields {
  requestId: string;
  /**
   * The server's own id, only when `requestId` is the caller's X-Request-Id (it sent a sane one):
   * the id its audit rows are stored under.
   */
  serverRequestId?: string;
  method: string;
  url: string;
  route: string;
  status: number;
  durationMs: number;
}

/** The constant parts of the lines of one method, route template and status. */
export interface RequestLinePattern {
  /** `,"method":"GET","url":` */
  readonly beforeUrl: string;
  /** `,"route":"/api/v1/x/:id","status":200,"durationMs":` */
  readonly beforeDuration: string;
  /** `,"msg":"GET /api/v1/x/:id 200"}\n` */
  readonly tail: string;
}

type LoggerInternals = {
  [pino.symbols.streamSym]: { write(line: string): unknown };
  [pino.symbols.chindingsSym]: string;
  [pino.symbols.timeSym]: () => string;
};

/**
 * Writes the request line in exactly the bytes pino writes for
 * `logger[level]({ requestId, serverRequestId?, method, url, route, status, durationMs }, 'GET /route 200')`:
 * same keys and order, same base fields (pid, hostname, bindings) and time, to the same
 * destination. Formatted by hand because it is the hottest line there is: pino's generic
 * serializer (walking the object, redaction, per-value escaping checks) was ~4% of the CPU of a
 * cached read (bench profile, performance note 0015), and the method/route/status parts are the same
 * for every request of a route. Everything else logs through pino itself; a spec checks the two
 * agree byte for byte under the logger options the service uses.
 */
export class RequestLineWriter {
  private readonly stream: { write(line: string): unknown };
  private readonly chindings: string;
  private readonly time: () => string;
  private readonly heads: Record<RequestLogLevel, string>;

  constructor(private readonly logger: pino.Logger) {
    const internals = logger as unknown as LoggerInternals;
    this.stream = internals[pino.symbols.streamSym];
    this.chindings = internals[pino.symbols.chindingsSym];
    this.time = () => internals[pino.symbols.timeSym]();
    const level = (name: RequestLogLevel) => `{"level":${logger.levels.values[name]}`;
    this.heads = { debug: level('debug'), info: level('info'), error: level('error') };
  }

  isLevelEnabled(level: RequestLogLevel): boolean {
    return this.logger.isLevelEnabled(level);
  }

  /** Built once per method, route template and status (the caller keeps it). */
  static pattern(method: string, route: string, status: number): RequestLinePattern {
    return {
      beforeUrl: `,"method":${JSON.stringify(method)},"url":`,
      beforeDuration: `,"route":${JSON.stringify(route)},"status":${status},"durationMs":`,
      tail: `,"msg":${JSON.stringify(`${method} ${route} ${status}`)}}\n`,
    };
  }

  write(
    level: RequestLogLevel,
    pattern: RequestLinePattern,
    requestId: string,
    url: string,
    durationMs: number,
    serverRequestId: string | null = null,
    traceId?: string,
  ): void {
    const server = serverRequestId === null ? '' : `,"serverRequestId":${JSON.stringify(serverRequestId)}`;
    // the request's trace (OTEL_EXPORTER_OTLP_ENDPOINT set): logs and traces join on it
    const trace = traceId === undefined ? '' : `,"traceId":"${traceId}"`;
    this.stream.write(
      `${this.heads[level]}${this.time()}${this.chindings},"requestId":${JSON.stringify(requestId)}${server}${trace}` +
        `${pattern.beforeUrl}${JSON.stringify(url)}${pattern.beforeDuration}${durationMs}${pattern.tail}`,
    );
  }
}
