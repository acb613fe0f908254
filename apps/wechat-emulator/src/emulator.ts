import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import {
  EmulatorState,
  type Fault,
  type RegisteredCode,
  type RegisteredPhone,
  wechatError,
  type WechatErrorBody,
} from './emulator-state';
import { type PayEmulatorOptions, registerPayEmulator } from './pay/pay-routes';
import { PayEmulatorState } from './pay/pay-state';

export interface WechatEmulatorOptions {
  /** When set, calls with another appid get 40013 and a wrong secret 40125; unset accepts any. */
  appId?: string;
  appSecret?: string;
  /** Serve the /__control API (tests and local development). */
  controlApi?: boolean;
  state?: EmulatorState;
  /** WeChat Pay v3 on the same server (default: on, with the dev keys); false to leave it out. */
  pay?: PayEmulatorOptions | false;
  payState?: PayEmulatorState;
}

/**
 * Waits `ms`, or only until the caller hangs up: a caller that timed out closes its socket, and a
 * stall left running for seconds after it would keep a test process alive for nothing.
 */
const stall = (ms: number, reply: FastifyReply) =>
  new Promise<void>((resolve) => {
    const socket = reply.raw.socket;
    if (socket?.destroyed) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      socket?.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    socket?.once('close', done);
  });

/**
 * A stand-in for api.weixin.qq.com speaking the documented shapes: `GET /sns/jscode2session`,
 * `POST /cgi-bin/stable_token`, `POST /wxa/business/getuserphonenumber`; and for
 * api.mch.weixin.qq.com (WeChat Pay v3, JSAPI) on the same server: pay/pay-routes.ts. Errors are HTTP 200
 * with `{ errcode, errmsg }`, as WeChat answers. Bare Fastify (no Nest): it boots in tens of
 * milliseconds and the API can embed it in the embedded profile. Never started in production.
 */
export function createWechatEmulator(options: WechatEmulatorOptions = {}): { app: FastifyInstance; state: EmulatorState; payState: PayEmulatorState } {
  const state = options.state ?? new EmulatorState();
  const payState = options.payState ?? new PayEmulatorState();
  const app = Fastify({ logger: false });
  if (options.pay !== false) registerPayEmulator(app, { appId: options.appId, ...options.pay }, payState, options.controlApi !== false);

  const credentialsError = (appid: unknown, secret: unknown): WechatErrorBody | null => {
    if (typeof appid !== 'string' || appid === '' || (options.appId && appid !== options.appId)) return wechatError(40013);
    if (typeof secret !== 'string' || secret === '' || (options.appSecret && secret !== options.appSecret)) {
      return wechatError(40125);
    }
    return null;
  };

  /** Applies a registered fault; true when the reply was sent by it. */
  const applyFault = async (path: string, reply: FastifyReply): Promise<boolean> => {
    state.countCall(path);
    const fault = state.takeFault(path);
    if (!fault) return false;
    if (fault.delayMs) await stall(fault.delayMs, reply);
    if (fault.httpStatus) {
      await reply.code(fault.httpStatus).send({ error: 'emulated HTTP failure' });
      return true;
    }
    if (fault.errcode !== undefined) {
      await reply.send(wechatError(fault.errcode, fault.errmsg));
      return true;
    }
    return false;
  };

  app.get('/sns/jscode2session', async (request, reply) => {
    if (await applyFault('/sns/jscode2session', reply)) return reply;
    const query = request.query as Record<string, string | undefined>;
    const invalid = credentialsError(query.appid, query.secret);
    if (invalid) return invalid;
    if (query.grant_type !== 'authorization_code') return wechatError(40002, 'invalid grant_type');
    if (!query.js_code) return wechatError(40029);
    const result = state.exchangeCode(query.appid as string, query.js_code);
    return result.body;
  });

  app.post('/cgi-bin/stable_token', async (request, reply) => {
    if (await applyFault('/cgi-bin/stable_token', reply)) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (body.grant_type !== 'client_credential') return wechatError(40002, 'invalid grant_type');
    const invalid = credentialsError(body.appid, body.secret);
    if (invalid) return invalid;
    return state.stableToken(body.force_refresh === true);
  });

  app.post('/wxa/business/getuserphonenumber', async (request, reply) => {
    if (await applyFault('/wxa/business/getuserphonenumber', reply)) return reply;
    const token = (request.query as Record<string, string | undefined>).access_token;
    const tokenError = state.checkToken(token);
    if (tokenError) return wechatError(tokenError);
    const code = (request.body as Record<string, unknown> | null)?.code;
    if (typeof code !== 'string' || code === '') return wechatError(40029);
    const phone = state.exchangePhoneCode(code);
    if ('errcode' in phone && phone.errcode) return phone;
    const registered = phone as RegisteredPhone;
    const purePhoneNumber = registered.purePhoneNumber ?? registered.phoneNumber ?? '';
    const countryCode = registered.countryCode ?? '86';
    return {
      errcode: 0,
      errmsg: 'ok',
      phone_info: {
        phoneNumber: registered.phoneNumber ?? purePhoneNumber,
        purePhoneNumber,
        countryCode,
        watermark: { timestamp: Math.floor(Date.now() / 1000), appid: options.appId ?? 'wx-emulator' },
      },
    };
  });

  if (options.controlApi !== false) {
    app.post('/__control/codes', async (request, reply) => {
      const body = (request.body ?? {}) as RegisteredCode & { code?: unknown };
      if (typeof body.code !== 'string' || body.code === '') return reply.code(400).send({ error: 'code is required' });
      const { code, ...result } = body;
      state.registerCode(code, result);
      return { registered: code };
    });
    app.post('/__control/phones', async (request, reply) => {
      const body = (request.body ?? {}) as RegisteredPhone & { code?: unknown };
      if (typeof body.code !== 'string' || body.code === '') return reply.code(400).send({ error: 'code is required' });
      if (!body.phoneNumber && !body.purePhoneNumber && !body.errcode) {
        return reply.code(400).send({ error: 'phoneNumber (or errcode) is required' });
      }
      const { code, ...phone } = body;
      state.registerPhone(code, phone);
      return { registered: code };
    });
    app.post('/__control/faults', async (request, reply) => {
      const fault = (request.body ?? {}) as Partial<Fault>;
      if (typeof fault.path !== 'string' || !Number.isInteger(fault.times) || (fault.times as number) < 1) {
        return reply.code(400).send({ error: 'path and times (>= 1) are required' });
      }
      state.addFault(fault as Fault);
      return { added: fault.path };
    });
    app.post('/__control/tokens/expire', async () => {
      state.expireTokens();
      return { expired: true };
    });
    app.get('/__control/stats', async () => ({ calls: Object.fromEntries(state.calls), tokensIssued: state.tokensIssued }));
    app.post('/__control/reset', async () => {
      state.reset();
      payState.reset();
      return { reset: true };
    });
  }

  return { app, state, payState };
}
