import { Public, Roles, Signed } from '@app/http';
import { routeFactsOf } from '@app/testing';
import { accessContract } from './access.contract';

class ExampleController {
  @Public()
  ping(): void {}

  me(): void {}

  @Roles('admin')
  dashboard(): void {}

  @Signed()
  placeOrder(): void {}
}

@Roles('operator')
class BackOfficeController {
  list(): void {}
}

const route = { method: 'POST', path: '/api/v1/example' };
const codes = (contract: ReturnType<ReturnType<typeof accessContract>>) => contract?.errors?.map(({ code }) => code);
const headers = (contract: ReturnType<ReturnType<typeof accessContract>>) => contract?.requestHeaders?.map(({ name }) => name);

describe('accessContract', () => {
  const rule = accessContract({ signing: 'sensitive' });

  it('documents nothing for public routes', () => {
    expect(rule(routeFactsOf(ExampleController, 'ping', route))).toBeNull();
  });

  it('documents the bearer token, its 401s and the session store 503 for signed-in routes', () => {
    const contract = rule(routeFactsOf(ExampleController, 'me', route));
    expect(contract?.security).toEqual([{ bearer: [] }]);
    expect(codes(contract)).toEqual([2001, 2002, 2003, 2004, 1008]);
    expect(headers(contract)).toEqual([]);
  });

  it('adds 403 for @Roles(), on the route or its controller', () => {
    expect(codes(rule(routeFactsOf(ExampleController, 'dashboard', route)))).toContain(2007);
    expect(codes(rule(routeFactsOf(BackOfficeController, 'list', route)))).toContain(2007);
  });

  it('adds the signing headers and their 401s for @Signed(), for every signed-in route with AUTH_SIGNING=all, for none with off', () => {
    const signed = rule(routeFactsOf(ExampleController, 'placeOrder', route));
    expect(headers(signed)).toEqual(['X-Timestamp', 'X-Nonce', 'X-Signature']);
    expect(signed?.requestHeaders?.every(({ required }) => required)).toBe(true);
    expect(codes(signed)).toEqual(expect.arrayContaining([2020, 2021, 2022, 2023]));

    const strict = accessContract({ signing: 'all' });
    expect(headers(strict(routeFactsOf(ExampleController, 'me', route)))).toEqual(['X-Timestamp', 'X-Nonce', 'X-Signature']);
    expect(strict(routeFactsOf(ExampleController, 'ping', route))).toBeNull();

    const off = accessContract({ signing: 'off' });
    expect(headers(off(routeFactsOf(ExampleController, 'placeOrder', route)))).toEqual([]);
    expect(codes(off(routeFactsOf(ExampleController, 'placeOrder', route)))).not.toContain(2020);
  });
});
