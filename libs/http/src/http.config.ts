import { compile as compileTrustedProxies } from '@fastify/proxy-addr';
import { IsBoolean, IsInt, IsOptional, Max, Min, ValidateBy } from 'class-validator';
import { ConfigValidationError, defineConfig, parseEnv, ToBoolean, ToInteger, ToList } from '@app/config';

class HttpEnv {
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1024)
  @Max(100 * 1024 * 1024)
  BODY_LIMIT_BYTES?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1000)
  HTTP_REQUEST_TIMEOUT_MS?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1000)
  HTTP_HEADERS_TIMEOUT_MS?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(1000)
  HTTP_JSON_MAX_DEPTH?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  HTTP_JSON_MAX_KEYS?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(16)
  @Max(65535)
  HTTP_BACKLOG?: number;

  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(0)
  @Max(64)
  HTTP_ACCEPT_HANDLES?: number;

  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  HTTP_WRITE_BATCHING?: boolean;

  @IsOptional()
  @ToList()
  @ValidateBy(
    { name: 'isTrustedProxyList', validator: { validate: isTrustedProxyList } },
    {
      message:
        'TRUSTED_PROXIES must be a comma-separated list of IP addresses, CIDR ranges (10.0.0.0/8) or the names loopback, linklocal, uniquelocal',
    },
  )
  TRUSTED_PROXIES?: string[];
}

/**
 * Checked by the parser Fastify's trustProxy runs on the same list (its own dependency), so what
 * boots is exactly what it understands: addresses, CIDR ranges (behind ingress-nginx, the pod
 * network's), and proxy-addr's names for the private ranges.
 */
function isTrustedProxyList(value: unknown): boolean {
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string' || entry === '')) return false;
  try {
    compileTrustedProxies(value as string[]);
    return true;
  } catch {
    return false;
  }
}

export interface HttpConfig {
  bodyLimitBytes: number;
  /** Longer than the load balancer's idle timeout, so the LB never reuses a socket we just closed. */
  keepAliveTimeoutMs: number;
  /** A request (headers and body) slower than this is answered 408. */
  requestTimeoutMs: number;
  /** Request headers slower than this are answered 408 (at most requestTimeoutMs). */
  headersTimeoutMs: number;
  /**
   * How often Node looks for requests past those two timeouts. Its default, 30 s, let a trickled
   * body live for 78 s under a 30 s timeout (issue 14); derived, not configured.
   */
  connectionsCheckingIntervalMs: number;
  /** A JSON body nested deeper than this is refused while parsing (400, 1019). */
  jsonMaxDepth: number;
  /** A JSON body with more keys and array elements than this, counted together, is refused while parsing (400, 1020). */
  jsonMaxKeys: number;
  /** Accept queue length: a burst of 1,000 new connections waits here instead of being reset. */
  backlog: number;
  /** Extra descriptors polled for new connections, so a burst is accepted within a few turns (0 = off). */
  acceptHandles: number;
  /** Responses produced in one event-loop turn are written together at its end (performance note 0016). */
  writeBatching: boolean;
  /** Peers whose X-Forwarded-For is believed (addresses, CIDR ranges, proxy-addr's range names); empty = use the socket address. */
  trustedProxies: string[];
}

export function loadHttpConfig(env: NodeJS.ProcessEnv): HttpConfig {
  const parsed = parseEnv(HttpEnv, env);
  const requestTimeoutMs = parsed.HTTP_REQUEST_TIMEOUT_MS ?? 30_000;
  const headersTimeoutMs = parsed.HTTP_HEADERS_TIMEOUT_MS ?? Math.min(10_000, requestTimeoutMs);
  if (headersTimeoutMs > requestTimeoutMs) {
    // Node refuses it too, with a message that names neither variable
    throw new ConfigValidationError([
      `HTTP_HEADERS_TIMEOUT_MS must not be longer than HTTP_REQUEST_TIMEOUT_MS (got ${headersTimeoutMs} > ${requestTimeoutMs})`,
    ]);
  }
  return {
    bodyLimitBytes: parsed.BODY_LIMIT_BYTES ?? 1_048_576,
    keepAliveTimeoutMs: parsed.HTTP_KEEP_ALIVE_TIMEOUT_MS ?? 72_000,
    requestTimeoutMs,
    headersTimeoutMs,
    // a quarter of the shorter timeout, at most a second: a timeout holds to within that
    connectionsCheckingIntervalMs: Math.min(1000, Math.floor(headersTimeoutMs / 4)),
    jsonMaxDepth: parsed.HTTP_JSON_MAX_DEPTH ?? 32,
    jsonMaxKeys: parsed.HTTP_JSON_MAX_KEYS ?? 1000,
    backlog: parsed.HTTP_BACKLOG ?? 4096,
    acceptHandles: parsed.HTTP_ACCEPT_HANDLES ?? 16,
    writeBatching: parsed.HTTP_WRITE_BATCHING ?? true,
    trustedProxies: parsed.TRUSTED_PROXIES ?? [],
  };
}

export const httpConfig = defineConfig('http', loadHttpConfig);
