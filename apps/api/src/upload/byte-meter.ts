import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Counts and hashes the bytes flowing through, and fails the stream (with `tooLarge()`) as soon as
 * more than `limit` bytes arrived: the rest of a 1 GB body is never read, nor stored.
 */
export class ByteMeter extends Transform {
  /** Bytes seen so far. (Not `size`: lib-storage reads a body's `size` as its length.) */
  bytes = 0;
  private readonly hash = createHash('sha256');

  constructor(
    private readonly limit = Number.POSITIVE_INFINITY,
    private readonly tooLarge: () => Error = () => new Error('too large'),
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) return done(this.tooLarge());
    this.hash.update(chunk);
    done(null, chunk);
  }

  /** The sha256 of everything that passed; call once, after the end. */
  digest(): string {
    return this.hash.digest('hex');
  }
}
