import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The production bundle (dist/api/server.bundle.js, what npm start and the image run) holds no
 * development tools: the WeChat emulator is loaded at run time in the embedded profile only
 * (apps/api/src/embedded-wechat.ts), and the embedded-profile suite proves that login still
 * goes through it. Reads the output of `npm run build`, which the e2e setup runs first.
 */
describe('production bundle', () => {
  const bundle = readFileSync(resolve('dist/api/server.bundle.js'), 'utf8');
  const inputs = JSON.parse(readFileSync(resolve('dist/api/server.bundle.inputs.json'), 'utf8')) as string[];
  // names that exist only in the emulator's code: its factory, its state class, its route table
  const emulatorMarkers = ['createWechatEmulator', 'EmulatorState', "'/__control/codes'"];

  it('bundles none of the emulator sources', () => {
    expect(inputs.some((input) => input.includes('apps/api/src/embedded-wechat'))).toBe(true);
    expect(inputs.filter((input) => input.includes('wechat-emulator'))).toEqual([]);
  });

  it('contains none of the emulator code', () => {
    const emulator = readFileSync(resolve('dist/apps/wechat-emulator/src/emulator.js'), 'utf8');
    const embedded = readFileSync(resolve('dist/apps/wechat-emulator/src/embedded.js'), 'utf8');
    // the markers are real: the compiled emulator has every one of them
    const markers = [...emulatorMarkers, 'startEmbeddedEmulator(options)'];
    // the markers are real: the compiled emulator has every one of them
    for (const marker of markers) expect(emulator + embedded).toContain(marker);
    for (const marker of markers) expect(bundle).not.toContain(marker);
  });
});
