import { Pool } from 'undici';

/**
 * A keep-alive undici pool to one WeChat host whose calls are timed by a circuit breaker
 * (`wechat`, `wechatpay`): the breaker's timer is the only call timeout and aborts the request's
 * signal. undici's own headers/body timers raced it and turned the same silence into 502 or 504
 * by chance, so they are off (0). The connect timeout stays, at the call timeout, only so a socket
 * that never connects is given up rather than held for the OS's minutes; it starts after the
 * breaker's timer, and should it still win it is a 504 as well.
 */
export function breakerOwnedPool(apiBase: string, options: { connections: number; timeoutMs: number }): { pool: Pool; pathPrefix: string } {
  const base = new URL(apiBase);
  const pool = new Pool(base.origin, {
    connections: options.connections,
    keepAliveTimeout: 30_000,
    headersTimeout: 0,
    bodyTimeout: 0,
    connectTimeout: options.timeoutMs,
  });
  return { pool, pathPrefix: base.pathname.replace(/\/+$/, '') };
}
