import { type Readable, Readable as NodeReadable } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';
import { AppError } from '@app/http';
import { extensionOf } from './file-names';
import { UploadError } from './upload.errors';
import type { PurposeRule } from './upload-purposes';

/** file-type reads at most this many bytes to recognise a format. */
const SNIFF_BYTES = 4100;

/** Extensions each accepted type may carry (a name with another known extension is a lie about the bytes). */
const EXTENSIONS: Readonly<Record<string, readonly string[]>> = {
  'image/jpeg': ['jpg', 'jpeg', 'jpe', 'jfif'],
  'image/png': ['png'],
  'image/webp': ['webp'],
  'image/gif': ['gif'],
  'application/pdf': ['pdf'],
};
const KNOWN_EXTENSIONS = new Set(Object.values(EXTENSIONS).flat().concat(['svg', 'svgz', 'html', 'htm', 'xhtml', 'zip', 'exe', 'js', 'txt']));
/** What clients send when they do not know (wx.uploadFile often does not say). */
const UNDECLARED = new Set(['', 'application/octet-stream', 'binary/octet-stream']);

/**
 * Reads the first bytes of `source` without losing them: the head, and a stream of the whole
 * content (head first) to pass on.
 */
export async function peek(source: Readable, bytes = SNIFF_BYTES): Promise<{ head: Buffer; content: Readable }> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    chunks.push(next.value);
    length += next.value.length;
  }
  const head = Buffer.concat(chunks);
  async function* whole(): AsyncGenerator<Buffer> {
    try {
      if (head.length > 0) yield head;
      if (done) return;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    } finally {
      // destroyed early (a later stage failed): stop reading the source
      await iterator.return?.();
    }
  }
  return { head, content: NodeReadable.from(whole(), { objectMode: false }) };
}

/**
 * The type the bytes really have (magic bytes), checked against the purpose's allow-list and
 * against what the client declared: a declared type or a known extension that disagrees → 415.
 */
export async function checkContent(head: Buffer, declaredType: string, fileName: string | undefined, rule: PurposeRule): Promise<{ mime: string; ext: string }> {
  const detected = await fileTypeFromBuffer(head);
  if (!detected || !rule.types.has(detected.mime)) throw new AppError(UploadError.TypeNotAllowed);
  const declared = declaredType.split(';')[0].trim().toLowerCase();
  const declaredMatches = UNDECLARED.has(declared) || declared === detected.mime || (declared === 'image/jpg' && detected.mime === 'image/jpeg');
  const extension = extensionOf(fileName);
  const extensionMatches = extension === '' || !KNOWN_EXTENSIONS.has(extension) || (EXTENSIONS[detected.mime] ?? []).includes(extension);
  if (!declaredMatches || !extensionMatches) throw new AppError(UploadError.TypeMismatch);
  return { mime: detected.mime, ext: detected.ext };
}
