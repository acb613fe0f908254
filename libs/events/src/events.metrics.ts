import { Counter, Gauge, register } from 'prom-client';

export const OUTBOX_LAG_SECONDS = 'outbox_lag_seconds';
export const OUTBOX_RELAY_ERRORS_TOTAL = 'outbox_relay_errors_total';
export const OUTBOX_EVENTS_PUBLISHED_TOTAL = 'outbox_events_published_total';

export interface OutboxMetrics {
  relayErrors: Counter;
  published: Counter;
}

/** Age in seconds of the oldest unsent outbox row (0 when none), read at scrape time. */
export type OutboxLagSource = () => Promise<number>;
let lagSource: OutboxLagSource | null = null;

export function setOutboxLagSource(source: OutboxLagSource | null): void {
  lagSource = source;
}

const COLLECT_TIMEOUT_MS = 1_000;

/** prom-client on the default registry (/metrics), reused when already registered in this process. */
export function outboxMetrics(): OutboxMetrics {
  if (!register.getSingleMetric(OUTBOX_LAG_SECONDS)) {
    new Gauge({
      name: OUTBOX_LAG_SECONDS,
      help: 'Age of the oldest committed outbox row not yet published, in seconds (0: the relay is caught up)',
      async collect() {
        if (!lagSource) return;
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), COLLECT_TIMEOUT_MS)));
        try {
          const lag = await Promise.race([lagSource(), timeout]);
          if (lag !== null) this.set(lag);
        } catch {
          // the database is down: readiness says so; the scrape keeps the last value
        } finally {
          clearTimeout(timer);
        }
      },
    });
  }
  return {
    relayErrors:
      (register.getSingleMetric(OUTBOX_RELAY_ERRORS_TOTAL) as Counter | undefined) ??
      new Counter({ name: OUTBOX_RELAY_ERRORS_TOTAL, help: 'Outbox relay passes that failed (database or queue unreachable), and rows it could not read' }),
    published:
      (register.getSingleMetric(OUTBOX_EVENTS_PUBLISHED_TOTAL) as Counter | undefined) ??
      new Counter({ name: OUTBOX_EVENTS_PUBLISHED_TOTAL, help: 'Outbox rows this process published to their consumers\' queues and marked sent' }),
  };
}
