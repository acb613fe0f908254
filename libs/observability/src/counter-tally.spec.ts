import { Counter, Registry } from 'prom-client';
import { flushTallies, tallyCounter } from './counter-tally';

function counterIn(registry: Registry): Counter<'result'> {
  return new Counter({
    name: 'decisions_total',
    help: 'decisions',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      flushTallies(this);
    },
  });
}

const valueOf = (text: string, result: string): number | null => {
  const match = new RegExp(`^decisions_total\\{result="${result}"\\} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : null;
};

describe('tallyCounter', () => {
  it('shows the series at zero before any increment', async () => {
    const registry = new Registry();
    tallyCounter(counterIn(registry), { result: 'allowed' });
    expect(valueOf(await registry.metrics(), 'allowed')).toBe(0);
  });

  it('hands each scrape the increments since the one before, exactly once, per series', async () => {
    const registry = new Registry();
    const counter = counterIn(registry);
    const allowed = tallyCounter(counter, { result: 'allowed' });
    const limited = tallyCounter(counter, { result: 'limited' });
    for (let i = 0; i < 5; i++) allowed();
    limited();
    let text = await registry.metrics();
    expect([valueOf(text, 'allowed'), valueOf(text, 'limited')]).toEqual([5, 1]);
    text = await registry.metrics();
    expect([valueOf(text, 'allowed'), valueOf(text, 'limited')]).toEqual([5, 1]);
    allowed();
    text = await registry.metrics();
    expect([valueOf(text, 'allowed'), valueOf(text, 'limited')]).toEqual([6, 1]);
  });

  it('keeps two counters apart', async () => {
    const [a, b] = [new Registry(), new Registry()];
    const incA = tallyCounter(counterIn(a), { result: 'allowed' });
    tallyCounter(counterIn(b), { result: 'allowed' });
    incA();
    expect(valueOf(await a.metrics(), 'allowed')).toBe(1);
    expect(valueOf(await b.metrics(), 'allowed')).toBe(0);
  });

  it('adds to what the counter was given directly', async () => {
    const registry = new Registry();
    const counter = counterIn(registry);
    const allowed = tallyCounter(counter, { result: 'allowed' });
    counter.inc({ result: 'allowed' }, 10);
    allowed();
    expect(valueOf(await registry.metrics(), 'allowed')).toBe(11);
  });
});
