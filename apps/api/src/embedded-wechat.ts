import { resolveProfile } from '@app/config';
import { createWechatEmulator } from '../../wechat-emulator/src/emulator';

/**
 * The embedded profile with no WeChat credentials runs the project's WeChat emulator in
 * process and points the client at it, so `npm start` gives a working login with nothing
 * configured. Never in the production profile, which requires real credentials.
 */
/** Returns the emulator's URL when it was started, else null. */
export async function startEmbeddedWechatEmulator(env: NodeJS.ProcessEnv): Promise<string | null> {
  if (resolveProfile(env) !== 'embedded' || env.WECHAT_APP_ID || env.WECHAT_API_BASE) return null;
  const host = '127.0.0.1';
  const port = Number(env.WECHAT_EMULATOR_PORT ?? 4010);
  let { app } = createWechatEmulator();
  try {
    await app.listen({ port, host });
  } catch {
    // the port is taken (another instance, or a standalone emulator): any free port will do
    await app.close();
    ({ app } = createWechatEmulator());
    await app.listen({ port: 0, host });
  }
  app.server.unref();
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  env.WECHAT_API_BASE = `http://${host}:${boundPort}`;
  return env.WECHAT_API_BASE;
}
