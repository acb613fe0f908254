import { SetMetadata } from '@nestjs/common';
import { routeFactsOf } from '@app/testing';
import { rateLimitContract } from './rate-limit.contract';
import { THROTTLER_SKIP } from './throttler-metadata';

// what @NoRateLimit() (@nestjs/throttler's @SkipThrottle()) sets; the decorator itself is a
// CommonJS module the unit runner cannot load, and the rate-limit e2e suite checks the key
const NoRateLimit = () => SetMetadata(`${THROTTLER_SKIP}default`, true);

class ExampleController {
  plain(): void {}

  @NoRateLimit()
  unlimited(): void {}
}

const config = { enabled: true, exemptPrefixes: ['/health/', '/metrics'] };
const at = (path: string) => ({ method: 'GET', path });

describe('rateLimitContract', () => {
  it('documents 429 and the RateLimit-* headers on every route the guard checks', () => {
    const contract = rateLimitContract(config)(routeFactsOf(ExampleController, 'plain', at('/api/v1/things')));
    const carriedOn = (status: 'success' | number) =>
      contract?.responseHeaders?.filter(({ on }) => on !== 'every' && on.includes(status)).map(({ name }) => name);
    expect(contract?.errors?.map(({ code }) => code)).toEqual([7010]);
    expect(carriedOn('success')).toEqual(['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']);
    expect(carriedOn(429)).toEqual(['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After']);
  });

  it('documents nothing where the guard lets everything through', () => {
    expect(rateLimitContract(config)(routeFactsOf(ExampleController, 'unlimited', at('/api/v1/things')))).toBeNull();
    expect(rateLimitContract(config)(routeFactsOf(ExampleController, 'plain', at('/health/ready')))).toBeNull();
    expect(rateLimitContract({ ...config, enabled: false })(routeFactsOf(ExampleController, 'plain', at('/api/v1/things')))).toBeNull();
  });
});
