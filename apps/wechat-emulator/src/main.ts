import { createWechatEmulator } from './emulator';

/**
 * `npm run start:wechat-emulator`: WeChat's login, token and phone endpoints, and WeChat Pay v3
 * (with the dev merchant keys of libs/wechat/src/pay/emulator-pay-keys.ts), on
 * WECHAT_EMULATOR_HOST:WECHAT_EMULATOR_PORT (default 127.0.0.1:4010), for development and
 * tests. Point the API at it with WECHAT_API_BASE=http://127.0.0.1:4010 (and, in the embedded
 * profile with no merchant configured, WeChat Pay follows it).
 */
async function main(): Promise<void> {
  if (process.env.NODE_ENV === 'production') {
    process.stderr.write('The WeChat emulator is a development tool and does not run with NODE_ENV=production\n');
    process.exit(1);
  }
  const port = Number(process.env.WECHAT_EMULATOR_PORT ?? 4010);
  const host = process.env.WECHAT_EMULATOR_HOST ?? '127.0.0.1';
  const { app } = createWechatEmulator({
    appId: process.env.WECHAT_APP_ID || undefined,
    appSecret: process.env.WECHAT_APP_SECRET || undefined,
  });
  await app.listen({ port, host });
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const checks = process.env.WECHAT_APP_ID ? `checks appid ${process.env.WECHAT_APP_ID}` : 'accepts any appid/secret';
  process.stdout.write(`WeChat emulator on http://${host}:${boundPort} (${checks}; WeChat Pay v3 with the dev merchant keys; control API at /__control)\n`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`WeChat emulator failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
