import { isOlderThan, parseClientVersion } from './client-version';
import { appVersionHeaderValue } from './client-version-gate';
import { loadReleaseConfig } from './release.config';

describe('client versions', () => {
  it('parses major.minor.patch, with or without a leading v, and nothing else', () => {
    expect(parseClientVersion('2.10.3')).toEqual([2, 10, 3]);
    expect(parseClientVersion('v1.0.0')).toEqual([1, 0, 0]);
    for (const bad of ['', '1.2', '1.2.3.4', '1.2.x', 'latest', '1.2.3-beta', '1234567.0.0']) expect(parseClientVersion(bad)).toBeNull();
  });

  it('compares numerically, part by part (2.10.0 is newer than 2.9.9)', () => {
    const minimum = parseClientVersion('2.10.0')!;
    expect(isOlderThan(parseClientVersion('2.9.9')!, minimum)).toBe(true);
    expect(isOlderThan(parseClientVersion('1.99.99')!, minimum)).toBe(true);
    expect(isOlderThan(parseClientVersion('2.10.0')!, minimum)).toBe(false);
    expect(isOlderThan(parseClientVersion('2.10.1')!, minimum)).toBe(false);
    expect(isOlderThan(parseClientVersion('3.0.0')!, minimum)).toBe(false);
  });
});

describe('release config', () => {
  it('says "dev" outside the image and takes the stamped values inside it', () => {
    expect(loadReleaseConfig({})).toEqual({ version: '0.0.0-dev', commit: 'unknown', buildTime: 'unknown', minClientVersion: null });
    const stamped = loadReleaseConfig({
      APP_VERSION: '1.4.2',
      GIT_COMMIT: '3f9c2ab0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6',
      BUILD_TIME: '2026-12-06T08:00:00Z',
      MIN_CLIENT_VERSION: '2.3.0',
    });
    expect(stamped.minClientVersion).toBe('2.3.0');
    expect(appVersionHeaderValue(stamped)).toBe('1.4.2+3f9c2ab0d1e2');
  });

  it('stops the boot on a minimum that is not a version, naming the variable', () => {
    expect(() => loadReleaseConfig({ MIN_CLIENT_VERSION: '2.3' })).toThrow(/MIN_CLIENT_VERSION/);
    expect(() => loadReleaseConfig({ GIT_COMMIT: 'not-a-hash' })).toThrow(/GIT_COMMIT/);
  });
});
