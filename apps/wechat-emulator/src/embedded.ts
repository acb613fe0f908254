import { createWechatEmulator } from './emulator';

/**
 * The emulator inside the API process, for the embedded profile with no WeChat credentials
 * (apps/api/src/embedded-wechat.ts loads this file at run time; the production bundle never
 * contains it). Listens on the given port, or on any free one when that is taken (another
 * instance, or a standalone emulator), and never keeps the process alive by itself.
 * Returns the base URL to point the WeChat client at.
 */
export async function startEmbeddedEmulator(options: { host: string; port: number }): Promise<string> {
  let { app } = createWechatEmulator();
  try {
    await app.listen({ port: options.port, host: options.host });
  } catch {
    await app.close();
    ({ app } = createWechatEmulator());
    await app.listen({ port: 0, host: options.host });
  }
  app.server.unref();
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : options.port;
  return `http://${options.host}:${boundPort}`;
}
