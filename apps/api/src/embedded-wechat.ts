import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { resolveProfile } from '@app/config';

/** What apps/wechat-emulator/src/embedded.ts exports (declared here: the API has no import of the emulator). */
interface EmbeddedEmulator {
  startEmbeddedEmulator(options: { host: string; port: number }): Promise<string>;
}

// The compiled emulator relative to this code: from the production bundle (dist/api/) and from
// the unbundled build (dist/apps/api/src/). A path computed at run time, so neither the bundler
// nor the type checker follows it: the emulator never ships inside the production bundle.
const EMULATOR_ENTRY_CANDIDATES = ['../apps/wechat-emulator/src/embedded.js', '../../wechat-emulator/src/embedded.js'];

/**
 * The embedded profile with no WeChat credentials runs the project's WeChat emulator in
 * process and points the client at it (and the WeChat Pay client, when no merchant is set), so
 * `npm start` gives a working login and payment with nothing configured. Never in the production profile, which requires real credentials.
 * Returns the emulator's URL when it was started, else null.
 */
export async function startEmbeddedWechatEmulator(env: NodeJS.ProcessEnv): Promise<string | null> {
  if (resolveProfile(env) !== 'embedded' || env.WECHAT_APP_ID || env.WECHAT_API_BASE) return null;
  const entry = EMULATOR_ENTRY_CANDIDATES.map((candidate) => join(__dirname, candidate)).find((file) => existsSync(file));
  if (!entry) {
    throw new Error(
      'No WeChat credentials are set and this build has no WeChat emulator (dist/apps/wechat-emulator): ' +
        'set WECHAT_APP_ID and WECHAT_APP_SECRET, or WECHAT_API_BASE to a running emulator',
    );
  }
  const emulator = createRequire(__filename)(entry) as EmbeddedEmulator;
  env.WECHAT_API_BASE = await emulator.startEmbeddedEmulator({ host: '127.0.0.1', port: Number(env.WECHAT_EMULATOR_PORT ?? 4010) });
  // WeChat Pay is served by the same emulator server; with no merchant configured the API pays
  // there with the emulator's dev keys (wechat-pay.config.ts), so a newcomer can pay locally
  if (!env.WECHAT_PAY_MCH_ID && !env.WECHAT_PAY_API_BASE) env.WECHAT_PAY_API_BASE = env.WECHAT_API_BASE;
  return env.WECHAT_API_BASE;
}
