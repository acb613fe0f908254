/** What the batcher hands its batches to: sonic-boom in buffer mode in production, a recorder in tests. */
export interface LineSink {
  write(data: Buffer): boolean;
  flushSync(): void;
}

export interface LineBatcherOptions {
  /** A batch is handed on once it holds this many bytes. */
  batchBytes: number;
  /** What is pending is handed on at least this often, so an idle service's lines still arrive. */
  flushIntervalMs: number;
}

// a UTF-16 code unit never takes more than 3 bytes in UTF-8 (a surrogate pair: 2 units, 4 bytes)
const MAX_UTF8_BYTES_PER_UNIT = 3;

/**
 * Encodes log lines straight into a byte buffer and hands the sink (sonic-boom) one batch at a
 * time, so the write path does one UTF-8 encode per line and one write syscall per batch.
 *
 * Why not sonic-boom's own `minLength` buffering: its `write()` measures the whole pending
 * string with `Buffer.byteLength` on every call (sonic-boom 4.2 and 5.0), re-flattening and
 * re-scanning ~6 KB per request line with a 12 KB buffer; and a batch kept as a string is a rope
 * of a few hundred pieces (pino builds each line by concatenation) that is flattened, measured
 * and encoded again when written. Both showed in the bench profile (docs/performance/0015).
 * sonic-boom still does the writing: partial writes, EAGAIN on a non-blocking pipe, flushSync.
 */
export class LineBatcher {
  private buffer: Buffer;
  private used = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly sink: LineSink,
    private readonly options: LineBatcherOptions,
  ) {
    this.buffer = this.newBuffer();
    this.timer = setInterval(() => this.flush(), options.flushIntervalMs);
    // the timer must never keep a finished process alive
    this.timer.unref();
  }

  write(line: string): boolean {
    const worstCase = line.length * MAX_UTF8_BYTES_PER_UNIT;
    if (worstCase > this.buffer.length - this.used) {
      this.flush();
      // a line larger than a whole buffer (a long stack trace) goes on its own
      if (worstCase > this.buffer.length) {
        this.sink.write(Buffer.from(line, 'utf8'));
        return true;
      }
    }
    this.used += this.buffer.write(line, this.used, 'utf8');
    if (this.used >= this.options.batchBytes) this.flush();
    return true;
  }

  /** Hands what is pending to the sink (which, in sync mode, writes it at once). */
  flush(): void {
    if (this.used === 0) return;
    const batch = this.buffer.subarray(0, this.used);
    // a fresh buffer: the sink may still hold the batch (a write that met EAGAIN is retried)
    this.buffer = this.newBuffer();
    this.used = 0;
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

  // room for a full batch plus one typical line that crosses the threshold
  private newBuffer(): Buffer {
    return Buffer.allocUnsafe(this.options.batchBytes + 4096);
  }
}
