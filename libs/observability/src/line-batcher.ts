/** What the batcher hands its batches to: sonic-boom in production, anything with write/flushSync in tests. */
export interface LineSink {
  write(data: string): boolean;
  flushSync(): void;
}

export interface LineBatcherOptions {
  /** A batch is handed on once it holds this many UTF-16 code units (≈ bytes for log lines). */
  batchChars: number;
  /** What is pending is handed on at least this often, so an idle service's lines still arrive. */
  flushIntervalMs: number;
}

/**
 * Collects log lines and hands them to the sink (sonic-boom) one batch at a time.
 *
 * Why not sonic-boom's own `minLength` buffering: its `write()` measures the whole pending
 * chunk with `Buffer.byteLength` on every call (sonic-boom 4.2 and 5.0), which flattens and
 * UTF-8-scans ~6 KB per request line on average with a 12 KB buffer: ~2.5 µs of a ~30 µs
 * request here (bench profile, docs/decisions/0015). Appending to a string and counting its
 * length costs nothing measurable; sonic-boom still does the writing (partial writes, EAGAIN
 * on a non-blocking pipe, flushSync), once per batch instead of once per line.
 */
export class LineBatcher {
  private pending = '';
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly sink: LineSink,
    private readonly options: LineBatcherOptions,
  ) {
    this.timer = setInterval(() => this.flush(), options.flushIntervalMs);
    // the timer must never keep a finished process alive
    this.timer.unref();
  }

  write(line: string): boolean {
    this.pending += line;
    if (this.pending.length >= this.options.batchChars) this.flush();
    return true;
  }

  /** Hands what is pending to the sink (which, in sync mode, writes it at once). */
  flush(): void {
    if (this.pending === '') return;
    const batch = this.pending;
    this.pending = '';
    this.sink.write(batch);
  }

  /** Everything written so far reaches the file descriptor before this returns (shutdown, crash). */
  flushSync(): void {
    this.flush();
    this.sink.flushSync();
  }

  /** Stops the timer after a last flush (tests; the process's own logger lives until exit). */
  close(): void {
    clearInterval(this.timer);
    this.flushSync();
  }
}
