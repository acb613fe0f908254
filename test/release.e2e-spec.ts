import { CommonError } from '../libs/http/src/common.errors';
import { request, type RunningApp } from './support/app-harness';
import { useTestDatabase } from './support/test-database';

const STAMP = { APP_VERSION: '1.4.2', GIT_COMMIT: '3f9c2ab0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6', BUILD_TIME: '2026-12-06T08:00:00Z' };

describe('GET /api/v1/version, X-App-Version and the client version gate (MIN_CLIENT_VERSION)', () => {
  const db = useTestDatabase();
  let running: RunningApp;
  let api: string;

  beforeAll(async () => {
    running = await db.startApp({ ...STAMP, MIN_CLIENT_VERSION: '2.3.0' });
    api = `${running.baseUrl}/api/v1`;
  });

  it('tells which build answers: the stamped version, commit and build time, and the minimum client version', async () => {
    const response = await request<{ code: number; data: Record<string, unknown> }>(`${api}/version`);
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ version: '1.4.2', commit: STAMP.GIT_COMMIT, buildTime: STAMP.BUILD_TIME, minClientVersion: '2.3.0' });
  });

  it('puts X-App-Version on every response: success, error, probe', async () => {
    for (const url of [`${api}/ping`, `${api}/no-such-route`, `${running.baseUrl}/health/live`]) {
      const response = await request(url);
      expect(response.headers.get('x-app-version')).toBe('1.4.2+3f9c2ab0d1e2');
    }
  });

  it('answers an older X-Client-Version 426 with code 1080 and the minimum, before sign-in is even checked', async () => {
    for (const old of ['2.2.9', '1.99.99', 'garbage']) {
      const response = await request<{ code: number; data: { minimumVersion: string } }>(`${api}/users/me`, {
        headers: { 'x-client-version': old },
      });
      expect(response.status).toBe(426);
      expect(response.body.code).toBe(CommonError.ClientUpdateRequired.code);
      expect(response.body.data.minimumVersion).toBe('2.3.0');
      expect(response.headers.get('x-request-id')).toBeTruthy();
    }
  });

  it('serves a current client, a request without the header, the version route and the probes', async () => {
    expect((await request(`${api}/ping`, { headers: { 'x-client-version': '2.3.0' } })).status).toBe(200);
    expect((await request(`${api}/ping`, { headers: { 'x-client-version': '2.10.0' } })).status).toBe(200);
    expect((await request(`${api}/ping`)).status).toBe(200);
    expect((await request(`${api}/version`, { headers: { 'x-client-version': '1.0.0' } })).status).toBe(200);
    expect((await request(`${running.baseUrl}/health/live`, { headers: { 'x-client-version': '1.0.0' } })).status).toBe(200);
  });
});

describe('without MIN_CLIENT_VERSION', () => {
  const db = useTestDatabase();

  it('serves every client and says it is a development build outside the image', async () => {
    const running = await db.startApp({});
    const api = `${running.baseUrl}/api/v1`;
    expect((await request(`${api}/ping`, { headers: { 'x-client-version': '0.0.1' } })).status).toBe(200);
    const version = await request<{ data: Record<string, unknown> }>(`${api}/version`);
    expect(version.body.data).toMatchObject({ version: '0.0.0-dev', commit: 'unknown', minClientVersion: null });
    expect(version.headers.get('x-app-version')).toBe('0.0.0-dev');
  });
});
