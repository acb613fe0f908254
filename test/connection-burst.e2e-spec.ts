import { execFileSync } from 'node:child_process';
import { get } from 'node:http';
import { spawnApp, type ChildApp } from './support/child-app';
import { productionEnv } from './support/environment';
import { useTestDatabase } from './support/test-database';

/** Descriptors of the app's listening socket, as `ss` lists them (one `fd=` per descriptor). */
function listeningDescriptors(app: ChildApp): number {
  const port = new URL(app.baseUrl).port;
  const line = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  return (line.match(new RegExp(`pid=${app.process.pid},fd=\\d+`, 'g')) ?? []).length;
}

async function descriptorsOnceSettled(app: ChildApp, expected: number): Promise<number> {
  // the extra descriptors arrive from a helper process a few tens of ms after the app answers
  const deadline = Date.now() + 5000;
  let seen = listeningDescriptors(app);
  while (seen !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    seen = listeningDescriptors(app);
  }
  return seen;
}

function pingOnNewConnection(baseUrl: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(`${baseUrl}/api/v1/ping`, { agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    }).on('error', reject);
  });
}

describe('a burst of new connections (real child process)', () => {
  const db = useTestDatabase();

  it('polls extra descriptors of its listening socket and serves a burst through them', async () => {
    const app = await spawnApp(productionEnv(db.name, { HTTP_ACCEPT_HANDLES: '8', RATE_LIMIT_ENABLED: 'false' }));
    try {
      expect(await descriptorsOnceSettled(app, 9)).toBe(9);

      const statuses = await Promise.all(Array.from({ length: 300 }, () => pingOnNewConnection(app.baseUrl)));
      expect(statuses.filter((status) => status === 200)).toHaveLength(300);
    } finally {
      app.process.kill('SIGTERM');
    }
    expect(await app.exited).toEqual({ code: 0, signal: null });
  });

  it('serves a burst with HTTP_WRITE_BATCHING=false too (each response written as it is produced)', async () => {
    const app = await spawnApp(productionEnv(db.name, { HTTP_WRITE_BATCHING: 'false', RATE_LIMIT_ENABLED: 'false' }));
    try {
      const statuses = await Promise.all(Array.from({ length: 100 }, () => pingOnNewConnection(app.baseUrl)));
      expect(statuses.filter((status) => status === 200)).toHaveLength(100);
    } finally {
      app.process.kill('SIGTERM');
    }
    expect(await app.exited).toEqual({ code: 0, signal: null });
  });

  it('listens on its own socket alone when HTTP_ACCEPT_HANDLES=0', async () => {
    const app = await spawnApp(productionEnv(db.name, { HTTP_ACCEPT_HANDLES: '0' }));
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(listeningDescriptors(app)).toBe(1);
      expect(await pingOnNewConnection(app.baseUrl)).toBe(200);
    } finally {
      app.process.kill('SIGTERM');
    }
    expect(await app.exited).toEqual({ code: 0, signal: null });
  });
});
