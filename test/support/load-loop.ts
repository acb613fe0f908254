import { Pool } from 'undici';

/** One finished request of a load loop; times in ms since the loop started. */
export interface LoadSample {
  worker: string;
  startedAt: number;
  latencyMs: number;
  /** HTTP status, or 0 when the request failed without an answer (connection error). */
  status: number;
  /** The envelope's `code`, when the body was one. */
  code: number | null;
}

export interface LoadWorkers {
  /** Workers of this kind running at once. */
  concurrency: number;
  path: string;
  headers?: Record<string, string>;
}

/**
 * Bounded load for fault drills: `concurrency` loops per kind, each sending its next request as
 * soon as the last one answered, for `durationMs`. Keep-alive connections through one undici Pool
 * (much cheaper per request than fetch, so the test process is less of the bottleneck on a small
 * machine). Requests still running at the end are awaited and recorded.
 */
export async function runLoad(baseUrl: string, durationMs: number, kinds: Record<string, LoadWorkers>): Promise<LoadSample[]> {
  const totalConcurrency = Object.values(kinds).reduce((sum, kind) => sum + kind.concurrency, 0);
  const pool = new Pool(baseUrl, { connections: totalConcurrency, pipelining: 1 });
  const samples: LoadSample[] = [];
  const started = performance.now();
  const until = started + durationMs;
  const loop = async (worker: string, kind: LoadWorkers): Promise<void> => {
    while (performance.now() < until) {
      const sentAt = performance.now();
      let status = 0;
      let code: number | null = null;
      try {
        const response = await pool.request({ path: kind.path, method: 'GET', headers: kind.headers });
        status = response.statusCode;
        const text = await response.body.text();
        code = envelopeCode(text);
      } catch {
        // recorded as status 0
      }
      samples.push({ worker, startedAt: sentAt - started, latencyMs: performance.now() - sentAt, status, code });
    }
  };
  try {
    await Promise.all(
      Object.entries(kinds).flatMap(([worker, kind]) => Array.from({ length: kind.concurrency }, () => loop(worker, kind))),
    );
  } finally {
    await pool.close();
  }
  return samples;
}

function envelopeCode(text: string): number | null {
  try {
    const body = JSON.parse(text) as { code?: unknown };
    return typeof body.code === 'number' ? body.code : null;
  } catch {
    return null;
  }
}

/** The p-th percentile (0-100) of `values`, nearest rank; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Completed requests per second among `samples` that started within [fromMs, toMs). */
export function throughput(samples: readonly LoadSample[], fromMs: number, toMs: number): number {
  const inWindow = samples.filter((sample) => sample.startedAt >= fromMs && sample.startedAt < toMs).length;
  return (inWindow * 1000) / (toMs - fromMs);
}
