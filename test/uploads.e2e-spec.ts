import { spawnSync } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { type EnvelopeBody, request, type RunningApp } from './support/app-harness';
import { productionEnv } from './support/environment';
import { useS3Server } from './support/s3-server';
import { useTestDatabase } from './support/test-database';
import { type SignedIn, useWechatEmulator } from './support/wechat-emulator';

interface UploadAnswer {
  id: string;
  purpose: string;
  mime: string;
  size: number;
  sha256: string;
  width?: number;
  height?: number;
  url: string;
  name: string;
}

const MB = 1024 * 1024;
const URL_SECRET = 'e2e-upload-url-secret-0123456789abcdef';
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** A PDF-looking attachment of `size` random bytes (the magic bytes are all file-type reads). */
const pdfOf = (size: number): Buffer => Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'), randomBytes(size - 15)]);

/** A PNG that declares width × height pixels but carries one row of data: a decompression bomb's header. */
function pngDeclaring(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(1 + width * 3 > 4096 ? 4096 : 1 + width * 3))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const drivers = ['local', 's3'] as const;

describe.each(drivers)('uploads and downloads, %s storage (MariaDB + Redis + WeChat emulator)', (driver) => {
  const db = useTestDatabase();
  const wechat = useWechatEmulator();
  const s3 = useS3Server();
  let app: RunningApp;
  let localDir = '';

  const api = (path: string) => `${app.baseUrl}/api/v1${path}`;
  const login = () => wechat.signIn(app);

  /** Every stored object, whichever the driver. */
  const storedKeys = async (): Promise<string[]> => {
    if (driver === 's3') return s3.keys();
    return readdirSync(localDir, { recursive: true, encoding: 'utf8' })
      // a partial file may vanish between the listing and the stat
      .filter((name) => statSync(join(localDir, name), { throwIfNoEntry: false })?.isFile() === true)
      .sort();
  };
  const rowCount = async (): Promise<number> => Number((await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM files'))[0].n);

  const upload = async (session: SignedIn, purpose: string, bytes: Uint8Array, name: string, type = 'application/octet-stream') => {
    const form = new FormData();
    form.append('purpose', purpose);
    form.append('file', new Blob([bytes], { type }), name);
    return request<EnvelopeBody<UploadAnswer>>(api('/uploads'), { method: 'POST', headers: { authorization: `Bearer ${session.accessToken}` }, body: form });
  };
  const download = (path: string, headers: Record<string, string> = {}) => fetch(`${app.baseUrl}${path}`, { headers });
  const bytesOf = async (response: Response): Promise<Buffer> => Buffer.from(await response.arrayBuffer());

  /** Nothing new in storage or in the table, once the server had time to clean up. */
  const expectNothingStoredBeyond = async (keysBefore: string[], rowsBefore: number): Promise<void> => {
    for (let waited = 0; waited < 3000; waited += 100) {
      if (JSON.stringify(await storedKeys()) === JSON.stringify(keysBefore)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await storedKeys()).toEqual(keysBefore);
    expect(await rowCount()).toBe(rowsBefore);
  };

  beforeAll(async () => {
    localDir = mkdtempSync(join(tmpdir(), 'uploads-e2e-'));
    app = await db.startApp({
      ...wechat.env,
      ...(driver === 's3' ? s3.env : { STORAGE_DRIVER: 'local', STORAGE_LOCAL_DIR: localDir }),
      UPLOAD_URL_SECRET: URL_SECRET,
      UPLOAD_QUOTA_BYTES: String(30 * MB),
      RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
      RATE_LIMIT_KEY_PREFIX: `e2e:rl:uploads:${randomBytes(4).toString('hex')}:`,
    });
  });

  afterAll(() => {
    rmSync(localDir, { recursive: true, force: true });
  });

  it('uploads a file and downloads it byte-identical, with ETag, Range, 304 and a Chinese/emoji name', async () => {
    const alice = await login();
    const original = pdfOf(300 * 1024);
    const name = '季度报告 😀 “final”.pdf';
    const answer = await upload(alice, 'attachment', original, name, 'application/pdf');
    expect(answer.status).toBe(201);
    const file = answer.body.data as UploadAnswer;
    expect(file).toMatchObject({ purpose: 'attachment', mime: 'application/pdf', size: original.length, sha256: sha256(original), name });
    expect(file.url).toMatch(new RegExp(`^/api/v1/files/${file.id}\\?expires=\\d+&sig=[\\w-]+$`));

    const whole = await download(file.url);
    expect(whole.status).toBe(200);
    const body = await bytesOf(whole);
    expect(sha256(body)).toBe(sha256(original));
    expect(whole.headers.get('etag')).toBe(`"${file.sha256}"`);
    expect(whole.headers.get('content-type')).toBe('application/pdf');
    expect(whole.headers.get('content-length')).toBe(String(original.length));
    expect(whole.headers.get('x-content-type-options')).toBe('nosniff');
    expect(new Date(whole.headers.get('last-modified') ?? '').getTime()).toBeGreaterThan(Date.now() - 60_000);
    const disposition = whole.headers.get('content-disposition') ?? '';
    expect(disposition).toMatch(/^inline; filename="[\x20-\x7e]+"; filename\*=UTF-8''/);
    expect(decodeURIComponent(disposition.split("UTF-8''")[1])).toBe(name);

    const part = await download(file.url, { range: 'bytes=100-1123' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-1123/${original.length}`);
    expect((await bytesOf(part)).equals(original.subarray(100, 1124))).toBe(true);
    const tail = await download(file.url, { range: 'bytes=-10' });
    expect(tail.status).toBe(206);
    expect((await bytesOf(tail)).equals(original.subarray(original.length - 10))).toBe(true);
    const outside = await download(file.url, { range: `bytes=${original.length}-` });
    expect(outside.status).toBe(416);
    expect(outside.headers.get('content-range')).toBe(`bytes */${original.length}`);
    expect(((await outside.json()) as EnvelopeBody).code).toBe(5043);

    const again = await download(file.url, { 'if-none-match': `"${file.sha256}"` });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('etag')).toBe(`"${file.sha256}"`);
  });

  it('keeps private files from others: owner and signed link yes; other users and strangers 404; altered or expired links 403', async () => {
    const [alice, bob] = [await login(), await login()];
    const file = (await upload(alice, 'attachment', pdfOf(4096), 'secret.pdf')).body.data as UploadAnswer;
    const path = `/api/v1/files/${file.id}`;
    expect((await download(path, { authorization: `Bearer ${alice.accessToken}` })).status).toBe(200);
    const asBob = await download(path, { authorization: `Bearer ${bob.accessToken}` });
    expect(asBob.status).toBe(404);
    expect(((await asBob.json()) as EnvelopeBody).code).toBe(5040);
    expect((await download(path)).status).toBe(404);
    expect((await download(path, { authorization: 'Bearer not-a-token' })).status).toBe(404);

    const expires = Number(/expires=(\d+)/.exec(file.url)?.[1]);
    const sig = /sig=([\w-]+)/.exec(file.url)?.[1] ?? '';
    const tampered = await download(`${path}?expires=${expires + 60}&sig=${sig}`);
    expect(tampered.status).toBe(403);
    expect(((await tampered.json()) as EnvelopeBody).code).toBe(5041);
    const flipped = `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`;
    expect((await download(`${path}?expires=${expires}&sig=${flipped}`)).status).toBe(403);
    // a correct signature (our secret) whose time has passed
    const past = Math.floor(Date.now() / 1000) - 10;
    const expiredSig = createHmac('sha256', URL_SECRET).update(`files:${file.id}:${past}`).digest('base64url');
    const expired = await download(`${path}?expires=${past}&sig=${expiredSig}`);
    expect(expired.status).toBe(403);
    expect(((await expired.json()) as EnvelopeBody).code).toBe(5042);
    // altered into something that is not even a well-formed link: still 403, never a 400
    for (const query of [`expires=soon&sig=${sig}`, `expires=${expires}&sig=${sig}%2B%2F%3D`, `expires=-1&sig=${sig}`, `expires=${expires}&sig=${'A'.repeat(200)}`]) {
      const altered = await download(`${path}?${query}`);
      expect([query, altered.status, ((await altered.json()) as EnvelopeBody).code]).toEqual([query, 403, 5041]);
    }
    // one file's link does not open another
    const other = (await upload(alice, 'attachment', pdfOf(4096), 'other.pdf')).body.data as UploadAnswer;
    expect((await download(`/api/v1/files/${other.id}?expires=${expires}&sig=${sig}`)).status).toBe(403);
  });

  it('lets an admin account read private files, and not an operator', async () => {
    const alice = await login();
    const file = (await upload(alice, 'attachment', pdfOf(4096), 'invoice.pdf')).body.data as UploadAnswer;
    const signInAs = async (role: string) => {
      const username = `${role}-${randomBytes(4).toString('hex')}`;
      const password = 'uploads e2e correct horse';
      const created = spawnSync(process.execPath, [resolve('dist/apps/api/src/cli/admin-create.js')], {
        env: { ...process.env, ...productionEnv(db.name), ADMIN_USERNAME: username, ADMIN_PASSWORD: password, ADMIN_ROLE: role },
        encoding: 'utf8',
      });
      expect(created.status).toBe(0);
      const answer = await request<EnvelopeBody<{ accessToken: string }>>(api('/auth/admin/login'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
      expect(answer.status).toBe(200);
      return answer.body.data!.accessToken;
    };
    const path = `/api/v1/files/${file.id}`;
    expect((await download(path, { authorization: `Bearer ${await signInAs('admin')}` })).status).toBe(200);
    expect((await download(path, { authorization: `Bearer ${await signInAs('operator')}` })).status).toBe(404);
  });

  it('serves public images to anyone, cacheably, and makes width variants once', async () => {
    const alice = await login();
    const png = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#3a7' } }).png().toBuffer();
    const answer = await upload(alice, 'product', png, 'shoe.png', 'image/png');
    expect(answer.status).toBe(201);
    const file = answer.body.data as UploadAnswer;
    expect(file).toMatchObject({ mime: 'image/png', width: 400, height: 300, url: `/api/v1/files/${file.id}` });
    const anyone = await download(file.url);
    expect(anyone.status).toBe(200);
    expect(anyone.headers.get('cache-control')).toMatch(/^public, max-age=\d+/);
    expect(sha256(await bytesOf(anyone))).toBe(file.sha256);

    const keysBefore = await storedKeys();
    const small = await download(`${file.url}?w=200`);
    expect(small.status).toBe(200);
    expect(await sharp(await bytesOf(small)).metadata()).toMatchObject({ width: 200, height: 150, format: 'png' });
    const keysAfter = await storedKeys();
    expect(keysAfter.filter((key) => !keysBefore.includes(key))).toEqual([expect.stringMatching(new RegExp(`${file.id}\\.w200$`))]);
    const cached = await download(`${file.url}?w=200`);
    expect(cached.status).toBe(200);
    expect(cached.headers.get('etag')).toBe(`"${file.sha256}-w200"`);
    await bytesOf(cached);
    expect(await storedKeys()).toEqual(keysAfter);
    const odd = await download(`${file.url}?w=123`);
    expect(odd.status).toBe(400);
    expect(((await odd.json()) as EnvelopeBody).code).toBe(5044);
  });

  it('refuses a zip renamed .png (415), SVG and HTML (415), and a PNG declaring 100000×100000 pixels (422), storing nothing', async () => {
    const alice = await login();
    const [keysBefore, rowsBefore] = [await storedKeys(), await rowCount()];
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]), randomBytes(2000)]);
    const renamed = await upload(alice, 'avatar', zip, 'photo.png', 'image/png');
    expect(renamed.status).toBe(415);
    expect(renamed.body.code).toBe(5020);
    const svg = await upload(alice, 'attachment', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 'a.svg', 'image/svg+xml');
    expect(svg.status).toBe(415);
    const html = await upload(alice, 'attachment', Buffer.from('<!doctype html><script>alert(1)</script>'), 'a.html', 'text/html');
    expect(html.status).toBe(415);
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer();
    const lying = await upload(alice, 'avatar', png, 'a.jpg', 'image/jpeg');
    expect(lying.status).toBe(415);
    expect(lying.body.code).toBe(5021);
    const bomb = await upload(alice, 'avatar', pngDeclaring(100_000, 100_000), 'bomb.png', 'image/png');
    expect(bomb.status).toBe(422);
    expect(bomb.body.code).toBe(5030);
    await expectNothingStoredBeyond(keysBefore, rowsBefore);
  });

  it('answers 413 for an 11 MB image under the 10 MB limit and stores nothing', async () => {
    const alice = await login();
    const [keysBefore, rowsBefore] = [await storedKeys(), await rowCount()];
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer();
    const big = Buffer.concat([png, randomBytes(11 * MB - png.length)]);
    const answer = await upload(alice, 'product', big, 'big.png', 'image/png');
    expect(answer.status).toBe(413);
    expect(answer.body.code).toBe(5010);
    await expectNothingStoredBeyond(keysBefore, rowsBefore);
  });

  it('answers 400 (5004) for a body that ends inside the file part, before or after the purpose, and stores nothing', async () => {
    const alice = await login();
    const [keysBefore, rowsBefore] = [await storedKeys(), await rowCount()];
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer();
    const boundary = `----e2e${randomBytes(8).toString('hex')}`;
    const purposePart = `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\navatar\r\n`;
    const filePart = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`;
    for (const head of [purposePart + filePart, filePart]) {
      // the whole HTTP body arrives; the multipart inside it stops in the middle of the image, with no closing boundary
      const body = Buffer.concat([Buffer.from(head), png.subarray(0, Math.floor(png.length * 0.8))]);
      const answer = await request<EnvelopeBody>(api('/uploads'), {
        method: 'POST',
        headers: { authorization: `Bearer ${alice.accessToken}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
        body,
      });
      expect([answer.status, answer.body.code]).toEqual([400, 5004]);
    }
    await expectNothingStoredBeyond(keysBefore, rowsBefore);
  });

  it('stores nothing when the client hangs up half-way through the file', async () => {
    const alice = await login();
    const [keysBefore, rowsBefore] = [await storedKeys(), await rowCount()];
    const boundary = `----e2e${randomBytes(8).toString('hex')}`;
    // 16 MB: half of it is more than one 5 MB S3 part, so the multipart upload is under way
    const file = pdfOf(16 * MB);
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nattachment\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const { hostname, port } = new URL(app.baseUrl);
    let inFlight: string[] = [];
    await new Promise<void>((resolve) => {
      const outgoing = httpRequest({
        host: hostname,
        port,
        method: 'POST',
        path: '/api/v1/uploads',
        headers: {
          authorization: `Bearer ${alice.accessToken}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(head.length + file.length + tail.length),
        },
      });
      outgoing.on('error', () => resolve());
      outgoing.on('close', () => resolve());
      outgoing.write(head);
      outgoing.write(file.subarray(0, file.length / 2));
      // give the server time to stream the first half into storage, then hang up
      setTimeout(() => {
        void storedKeys().then((keys) => {
          inFlight = keys.filter((key) => !keysBefore.includes(key));
          outgoing.destroy();
          resolve();
        });
      }, 700);
    });
    // the local driver was writing its partial file when the client left (S3 holds the parts aside until completed)
    if (driver === 'local') expect(inFlight).toEqual([expect.stringMatching(/\.partial$/)]);
    await expectNothingStoredBeyond(keysBefore, rowsBefore);
  });

  it('stores a ../../etc/passwd upload under a generated key, the name kept only as sanitised metadata', async () => {
    const alice = await login();
    const answer = await upload(alice, 'attachment', pdfOf(2048), '../../etc/passwd');
    expect(answer.status).toBe(201);
    const file = answer.body.data as UploadAnswer;
    expect(file.name).toBe('passwd');
    const [row] = await db.query<{ storage_key: string; original_name: string }>('SELECT storage_key, original_name FROM files WHERE id = ?', [file.id]);
    expect(row).toEqual({ storage_key: `files/${file.id.slice(0, 2)}/${file.id}`, original_name: 'passwd' });
    expect(await storedKeys()).toContain(row.storage_key);
    expect((await storedKeys()).filter((key) => key.includes('passwd') || key.includes('..'))).toEqual([]);
  });

  it('auto-rotates JPEGs and strips EXIF (GPS) before storing', async () => {
    const alice = await login();
    const jpeg = await sharp({ create: { width: 64, height: 32, channels: 3, background: '#c33' } })
      .jpeg()
      .withExif({ IFD0: { Make: 'E2E camera' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '39/1 54/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '116/1 23/1 0/1' } })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const uploadedExif = (await sharp(jpeg).metadata()).exif;
    expect(uploadedExif?.includes(Buffer.from('E2E camera'))).toBe(true);
    const answer = await upload(alice, 'avatar', jpeg, '自拍.jpg', 'image/jpeg');
    expect(answer.status).toBe(201);
    const file = answer.body.data as UploadAnswer;
    // orientation 6 (90° clockwise) applied: 64×32 is stored upright as 32×64
    expect(file).toMatchObject({ mime: 'image/jpeg', width: 32, height: 64 });
    const stored = await bytesOf(await download(file.url));
    expect(sha256(stored)).toBe(file.sha256);
    const metadata = await sharp(stored).metadata();
    expect(metadata).toMatchObject({ width: 32, height: 64 });
    expect(metadata.exif).toBeUndefined();
    expect(metadata.orientation).toBeUndefined();
    expect(stored.includes(Buffer.from('E2E camera'))).toBe(false);
    expect(stored.includes(Buffer.from('GPS'))).toBe(false);
  });

  it('lists my own files (paged), deletes only my own (object and row), and enforces the quota with 413', async () => {
    const [alice, bob] = [await login(), await login()];
    const ids: string[] = [];
    for (let index = 0; index < 3; index += 1) ids.push(((await upload(alice, 'attachment', pdfOf(1024), `n${index}.pdf`)).body.data as UploadAnswer).id);
    await upload(bob, 'attachment', pdfOf(1024), 'bob.pdf');
    const page = await request<EnvelopeBody<{ items: UploadAnswer[]; total: number }>>(api('/uploads?page=1&pageSize=2'), {
      headers: { authorization: `Bearer ${alice.accessToken}` },
    });
    expect(page.status).toBe(200);
    expect(page.body.data?.total).toBe(3);
    expect(page.body.data?.items).toHaveLength(2);
    expect(page.body.data?.items.every((item) => ids.includes(item.id))).toBe(true);

    const byBob = await request(api(`/uploads/${ids[0]}`), { method: 'DELETE', headers: { authorization: `Bearer ${bob.accessToken}` } });
    expect(byBob.status).toBe(404);
    const [row] = await db.query<{ storage_key: string }>('SELECT storage_key FROM files WHERE id = ?', [ids[0]]);
    const mine = await request(api(`/uploads/${ids[0]}`), { method: 'DELETE', headers: { authorization: `Bearer ${alice.accessToken}` } });
    expect(mine.status).toBe(204);
    expect(await db.query('SELECT id FROM files WHERE id = ?', [ids[0]])).toEqual([]);
    expect(await storedKeys()).not.toContain(row.storage_key);
    expect((await download(`/api/v1/files/${ids[0]}`, { authorization: `Bearer ${alice.accessToken}` })).status).toBe(404);

    // quota 30 MB: 18 + 18 MB does not fit
    const carol = await login();
    const first = await upload(carol, 'attachment', pdfOf(18 * MB), 'a.pdf');
    expect(first.body).toMatchObject({ code: 0 });
    expect(first.status).toBe(201);
    const [keysBefore, rowsBefore] = [await storedKeys(), await rowCount()];
    const over = await upload(carol, 'attachment', pdfOf(18 * MB), 'b.pdf');
    expect(over.status).toBe(413);
    expect(over.body.code).toBe(5011);
    await expectNothingStoredBeyond(keysBefore, rowsBefore);
  });

  it('direct uploads (S3): presign, POST to the bucket, complete checks the bytes before the file is usable; 409 on local', async () => {
    const alice = await login();
    const auth = { authorization: `Bearer ${alice.accessToken}` };
    const presign = (body: unknown) =>
      request<EnvelopeBody<{ id: string; url: string; fields: Record<string, string> }>>(api('/uploads/presign'), {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const complete = (id: string) => request<EnvelopeBody<UploadAnswer>>(api(`/uploads/${id}/complete`), { method: 'POST', headers: auth });
    const postToBucket = async (target: { url: string; fields: Record<string, string> }, bytes: Buffer, type: string) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(target.fields)) form.append(name, value);
      form.append('file', new Blob([bytes], { type }), 'upload.bin');
      return fetch(target.url, { method: 'POST', body: form });
    };
    const original = pdfOf(64 * 1024);
    const answer = await presign({ purpose: 'attachment', size: original.length, mime: 'application/pdf', name: '合同 📄.pdf' });
    if (driver === 'local') {
      expect(answer.status).toBe(409);
      expect(answer.body.code).toBe(5050);
      return;
    }
    expect(answer.status).toBe(201);
    const target = answer.body.data!;
    const incoming = `incoming/${target.id.slice(0, 2)}/${target.id}`;
    expect(target.fields).toMatchObject({ key: incoming, 'Content-Type': 'application/pdf', Policy: expect.any(String) });
    expect((await download(`/api/v1/files/${target.id}`, auth)).status).toBe(404);
    const early = await complete(target.id);
    expect(early.status).toBe(409);
    expect(early.body.code).toBe(5051);

    expect((await postToBucket(target, original, 'application/pdf')).status).toBeLessThan(300);
    const done = await complete(target.id);
    expect(done.status).toBe(200);
    expect(done.body.data).toMatchObject({ id: target.id, size: original.length, sha256: sha256(original), name: '合同 📄.pdf', mime: 'application/pdf' });
    expect(sha256(await bytesOf(await download(done.body.data!.url)))).toBe(sha256(original));
    const keys = await storedKeys();
    expect(keys).toContain(`files/${target.id.slice(0, 2)}/${target.id}`);
    expect(keys).not.toContain(incoming);
    expect((await complete(target.id)).status).toBe(404);

    // the bucket takes whatever it is sent (s3rver checks no policy): complete is where a zip posing as a PNG stops
    const [keysBefore, rowsBefore] = [await storedKeys(), await rowCount()];
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]), randomBytes(2000)]);
    const disguised = (await presign({ purpose: 'avatar', size: zip.length, mime: 'image/png', name: 'me.png' })).body.data!;
    expect((await postToBucket(disguised, zip, 'image/png')).status).toBeLessThan(300);
    const refused = await complete(disguised.id);
    expect(refused.status).toBe(415);
    expect(refused.body.code).toBe(5020);
    await expectNothingStoredBeyond(keysBefore, rowsBefore);

    const tooBig = await presign({ purpose: 'avatar', size: 11 * MB, mime: 'image/png' });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.code).toBe(5010);
  });

  it('takes the purpose after the file too, and applies its types and limit once it is read', async () => {
    const alice = await login();
    const fileFirst = (purpose: string, bytes: Uint8Array, name: string) => {
      const form = new FormData();
      form.append('file', new Blob([bytes]), name);
      form.append('purpose', purpose);
      return request<EnvelopeBody<UploadAnswer>>(api('/uploads'), { method: 'POST', headers: { authorization: `Bearer ${alice.accessToken}` }, body: form });
    };
    const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#3a7' } }).png().toBuffer();
    const avatar = await fileFirst('avatar', png, 'me.png');
    expect(avatar.status).toBe(201);
    expect(avatar.body.data).toMatchObject({ purpose: 'avatar', mime: 'image/png', width: 40, height: 30 });

    const [keysBefore, rowsBefore] = [await storedKeys(), await rowCount()];
    const pdfAsAvatar = await fileFirst('avatar', pdfOf(2048), 'a.pdf');
    expect(pdfAsAvatar.status).toBe(415);
    expect(pdfAsAvatar.body.code).toBe(5020);
    // a real image of 11 MB: past the avatar's 10 MB, within the attachment's 20 MB
    const noise = await sharp({ create: { width: 2000, height: 1900, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(noise.length).toBeGreaterThan(10 * MB);
    const bigAvatar = await fileFirst('avatar', noise, 'big.png');
    expect(bigAvatar.status).toBe(413);
    expect(bigAvatar.body.code).toBe(5010);
    await expectNothingStoredBeyond(keysBefore, rowsBefore);
    const bigAttachment = await fileFirst('attachment', noise, 'big.png');
    expect(bigAttachment.status).toBe(201);
    expect(bigAttachment.body.data).toMatchObject({ purpose: 'attachment', mime: 'image/png', width: 2000, height: 1900 });
  });

  it('refuses requests without a purpose, with two files, or unsigned-in', async () => {
    const alice = await login();
    const form = new FormData();
    form.append('file', new Blob([pdfOf(1024)]), 'a.pdf');
    const noPurpose = await request<EnvelopeBody>(api('/uploads'), { method: 'POST', headers: { authorization: `Bearer ${alice.accessToken}` }, body: form });
    expect(noPurpose.status).toBe(400);
    expect(noPurpose.body.code).toBe(5001);
    const unknownPurpose = new FormData();
    unknownPurpose.append('file', new Blob([pdfOf(1024)]), 'a.pdf');
    unknownPurpose.append('purpose', 'wallpaper');
    const [keysBeforePurpose, rowsBeforePurpose] = [await storedKeys(), await rowCount()];
    const unknown = await request<EnvelopeBody>(api('/uploads'), { method: 'POST', headers: { authorization: `Bearer ${alice.accessToken}` }, body: unknownPurpose });
    expect(unknown.status).toBe(400);
    expect(unknown.body.code).toBe(5001);
    await expectNothingStoredBeyond(keysBeforePurpose, rowsBeforePurpose);
    const two = new FormData();
    two.append('purpose', 'attachment');
    two.append('file', new Blob([pdfOf(1024)]), 'a.pdf');
    two.append('file2', new Blob([pdfOf(1024)]), 'b.pdf');
    const [keysBefore, rowsBefore] = [await storedKeys(), await rowCount()];
    const twice = await request<EnvelopeBody>(api('/uploads'), { method: 'POST', headers: { authorization: `Bearer ${alice.accessToken}` }, body: two });
    expect(twice.status).toBe(400);
    expect(twice.body.code).toBe(5003);
    await expectNothingStoredBeyond(keysBefore, rowsBefore);
    const json = await request<EnvelopeBody>(api('/uploads'), {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.accessToken}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(415);
    const anonymous = new FormData();
    anonymous.append('purpose', 'avatar');
    expect((await request(api('/uploads'), { method: 'POST', body: anonymous })).status).toBe(401);
  });
});
