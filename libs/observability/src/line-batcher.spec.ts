import { jest } from '@jest/globals';
import { LineBatcher, type LineSink } from './line-batcher';

class RecordingSink implements LineSink {
  readonly writes: string[] = [];
  syncFlushes = 0;
  write(data: string): boolean {
    this.writes.push(data);
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
    batcher = new LineBatcher(sink, { batchChars: 100, flushIntervalMs: 200 });
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
    batcher.write(line(3)); // 105 chars >= 100
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

  it('keeps multi-byte text intact across batches', () => {
    const chinese = '{"msg":"订单已创建 🎉"}\n';
    for (let i = 0; i < 10; i++) batcher.write(chinese);
    batcher.flushSync();
    expect(sink.writes.join('')).toBe(chinese.repeat(10));
    expect(sink.writes.length).toBeGreaterThan(1);
  });
});
