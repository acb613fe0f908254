import { appErrorCodeOf } from '@app/testing';
import sharp from 'sharp';
import { etagMatches, parseByteRange } from './byte-range';
import { checkContent } from './content-check';
import { contentDisposition, sanitizeFileName } from './file-names';
import { SignedLinks } from './signed-links';
import { loadUploadConfig } from './upload.config';
import { PURPOSE_RULES } from './upload-purposes';

describe('Range headers (RFC 9110)', () => {
  it.each([
    ['bytes=0-9', { start: 0, end: 9 }],
    ['bytes=90-', { start: 90, end: 99 }],
    ['bytes=-10', { start: 90, end: 99 }],
    ['bytes=95-200', { start: 95, end: 99 }],
    ['bytes=-500', { start: 0, end: 99 }],
  ])('%s of 100 bytes', (header, range) => {
    expect(parseByteRange(header, 100)).toEqual(range);
  });

  it('answers 416 for ranges that start past the end, and ignores what it does not serve', () => {
    expect(parseByteRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=-0', 100)).toBe('unsatisfiable');
    for (const ignored of [undefined, 'items=0-1', 'bytes=0-1,5-6', 'bytes=5-2', 'bytes=x-1', 'bytes=-']) {
      expect(parseByteRange(ignored, 100)).toBeNull();
    }
  });

  it('matches If-None-Match lists, weak tags and *', () => {
    expect(etagMatches('"abc"', '"abc"')).toBe(true);
    expect(etagMatches('W/"abc", "x"', '"abc"')).toBe(true);
    expect(etagMatches('*', '"abc"')).toBe(true);
    expect(etagMatches('"abd"', '"abc"')).toBe(false);
    expect(etagMatches(undefined, '"abc"')).toBe(false);
  });
});

describe('file names', () => {
  it('keeps Chinese and emoji, drops paths, controls and bidi tricks', () => {
    expect(sanitizeFileName('../../etc/passwd', 'png')).toBe('passwd');
    expect(sanitizeFileName('C:\\Users\\me\\照片 😀.jpg', 'jpg')).toBe('照片 😀.jpg');
    expect(sanitizeFileName('evil\u202Egnp.exe', 'png')).toBe('evilgnp.exe');
    expect(sanitizeFileName('a\r\nb\u0000.pdf', 'pdf')).toBe('ab.pdf');
    expect(sanitizeFileName('...', 'png')).toBe('file.png');
    expect(sanitizeFileName(undefined, 'pdf')).toBe('file.pdf');
  });

  it('writes Content-Disposition with an ASCII fallback and an RFC 5987 filename*', () => {
    expect(contentDisposition('inline', '报告 😀.pdf')).toBe(`inline; filename="__ _.pdf"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%20%F0%9F%98%80.pdf`);
    expect(contentDisposition('attachment', `it's "x".pdf`)).toBe(`attachment; filename="it's _x_.pdf"; filename*=UTF-8''it%27s%20%22x%22.pdf`);
  });
});

describe('signed links', () => {
  const links = new SignedLinks('s'.repeat(32));
  it('accepts its own signature until the expiry, and nothing altered', () => {
    const id = '0190a6a4-0000-7000-8000-000000000001';
    const sig = links.sign(id, 2_000);
    expect(links.check(id, 2_000, sig, 1_999)).toBe('valid');
    expect(links.check(id, 2_000, sig, 2_001)).toBe('expired');
    expect(links.check(id, 2_001, sig, 1_000)).toBe('invalid');
    expect(links.check(id.replace(/1$/, '2'), 2_000, sig, 1_000)).toBe('invalid');
    expect(links.check(id, 2_000, `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`, 1_000)).toBe('invalid');
    expect(new SignedLinks('t'.repeat(32)).check(id, 2_000, sig, 1_000)).toBe('invalid');
  });
});

describe('content check (magic bytes against the purpose and the declaration)', () => {
  let png: Buffer;
  beforeAll(async () => {
    png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#f00' } }).png().toBuffer();
  });
  const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(200)]);
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
  const html = Buffer.from('<!doctype html><html><script>alert(1)</script></html>');
  const pdf = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n', 'latin1');

  it('accepts a PNG declared as PNG, as octet-stream or without a name', async () => {
    expect(await checkContent(png, 'image/png', 'a.png', PURPOSE_RULES.avatar)).toEqual({ mime: 'image/png', ext: 'png' });
    expect(await checkContent(png, 'application/octet-stream', 'tmp_123', PURPOSE_RULES.avatar)).toEqual({ mime: 'image/png', ext: 'png' });
  });

  it('refuses a zip renamed .png, SVG, HTML and a PDF as an avatar with 415', async () => {
    expect(await appErrorCodeOf(checkContent(zip, 'image/png', 'photo.png', PURPOSE_RULES.avatar))).toBe(5020);
    expect(await appErrorCodeOf(checkContent(svg, 'image/svg+xml', 'a.svg', PURPOSE_RULES.attachment))).toBe(5020);
    expect(await appErrorCodeOf(checkContent(html, 'text/html', 'a.html', PURPOSE_RULES.attachment))).toBe(5020);
    expect(await appErrorCodeOf(checkContent(pdf, 'application/pdf', 'a.pdf', PURPOSE_RULES.avatar))).toBe(5020);
    expect(await checkContent(pdf, 'application/pdf', 'a.pdf', PURPOSE_RULES.attachment)).toEqual({ mime: 'application/pdf', ext: 'pdf' });
  });

  it('refuses a declared type or a known extension that disagrees with the bytes (415 5021)', async () => {
    expect(await appErrorCodeOf(checkContent(png, 'image/jpeg', 'a.png', PURPOSE_RULES.avatar))).toBe(5021);
    expect(await appErrorCodeOf(checkContent(png, 'image/png', 'a.jpg', PURPOSE_RULES.avatar))).toBe(5021);
    expect(await appErrorCodeOf(checkContent(png, 'image/png', 'a.html', PURPOSE_RULES.avatar))).toBe(5021);
  });
});

describe('upload config', () => {
  it('has safe defaults and reads the variant widths as a sorted list', () => {
    const config = loadUploadConfig({ UPLOAD_VARIANT_WIDTHS: '800, 200,400,200' });
    expect(config).toMatchObject({ maxImageBytes: 10 * 1024 * 1024, variantWidths: [200, 400, 800], signedUrlTtlS: 3600 });
    expect(config.urlSecret).toMatch(/^dev-only-/);
  });

  it('requires a URL secret in production, and refuses bad widths', () => {
    expect(() => loadUploadConfig({ NODE_ENV: 'production' })).toThrow(/UPLOAD_URL_SECRET/);
    expect(() => loadUploadConfig({ UPLOAD_VARIANT_WIDTHS: '200,abc' })).toThrow(/UPLOAD_VARIANT_WIDTHS/);
    expect(loadUploadConfig({ NODE_ENV: 'production', UPLOAD_URL_SECRET: 'x'.repeat(32) }).urlSecret).toBe('x'.repeat(32));
  });
});
