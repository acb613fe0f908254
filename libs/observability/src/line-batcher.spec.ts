import { jest } from '@jest/globals';
import { LineBatcher, type LineSink } from './line-batcher';

class RecordingSink implements LineSink {
  readonly writes: string[] = [];
  syncFlushes = 0;
  write(data: Buffer): boolean {
    this.writes.push(data.toString('utf8'));
    return true;
  }
  flushSync(): void {
    this.syncFlushes++;
  }
}

describe('LineBatcher', () => {
  let sink: RecordingSink;
  let batcher: LineBatcher;

  beforeEach(() => {
    jest.useFakeTimers();
    sink = new RecordingSink();
    batcher = new LineBatcher(sink, { batchBytes: 100, flushIntervalMs: 200 });
  });

  afterEach(() => {
    batcher.close();
    jest.useRealTimers();
  });

  it('holds lines until a batch is full, then hands them on as one write, in order', () => {
    const line = (n: number) => `{"n":${n},"pad":"${'x'.repeat(20)}"}\n`; // 35 chars
    batcher.write(line(1));
    batcher.write(line(2));
    expect(sink.writes).toEqual([]);
    batcher.write(line(3)); // 105 bytes >= 100
    expect(sink.writes).toEqual([line(1) + line(2) + line(3)]);
    batcher.write(line(4));
    expect(sink.writes).toHaveLength(1);
  });

  it('writes what is pending on the interval, so a lone line is not held back', () => {
    batcher.write('{"lone":true}\n');
    jest.advanceTimersByTime(199);
    expect(sink.writes).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(sink.writes).toEqual(['{"lone":true}\n']);
    // nothing pending: the timer does not write empty batches
    jest.advanceTimersByTime(1_000);
    expect(sink.writes).toHaveLength(1);
  });

  it('flushSync hands on the pending batch and makes the sink write it through', () => {
    batcher.write('{"a":1}\n');
    batcher.flushSync();
    expect(sink.writes).toEqual(['{"a":1}\n']);
    expect(sink.syncFlushes).toBe(1);
  });

  it('keeps multi-byte text intact across batches, counting bytes, not characters', () => {
    const chinese = '{"msg":"订单已创建 🎉"}\n'; // 22 UTF-16 units, 33 bytes
    batcher.write(chinese);
    batcher.write(chinese);
    expect(sink.writes).toEqual([]);
    batcher.write(chinese); // 99 bytes
    expect(sink.writes).toEqual([]);
    batcher.write(chinese);
    expect(sink.writes).toEqual([chinese.repeat(4)]);
    for (let i = 0; i < 6; i++) batcher.write(chinese);
    batcher.flushSync();
    expect(sink.writes.join('')).toBe(chinese.repeat(10));
  });

  it('writes a line larger than its whole buffer on its own, after what was pending', () => {
    batcher.write('{"a":1}\n');
    const stack = `{"err":"${'at frame\\n'.repeat(2_000)}"}\n`;
    batcher.write(stack);
    batcher.write('{"b":2}\n');
    batcher.flushSync();
    expect(sink.writes).toEqual(['{"a":1}\n', stack, '{"b":2}\n']);
  });

  it('hands each batch over in a buffer of its own, never one it writes into again', () => {
    const received: Buffer[] = [];
    const keeping: LineSink = {
      write: (data) => received.push(data) > 0,
      flushSync: () => undefined,
    };
    const own = new LineBatcher(keeping, { batchBytes: 10, flushIntervalMs: 200 });
    own.write('first-line\n');
    own.write('second-line\n');
    own.close();
    expect(received.map((data) => data.toString('utf8'))).toEqual(['first-line\n', 'second-line\n']);
  });
});
