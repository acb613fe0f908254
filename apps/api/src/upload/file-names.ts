/**
 * The client's file name as we keep it (metadata only, never in a path): the last path segment,
 * without control, format (bidi overrides, zero-width) or path characters, NFC, at most 200
 * characters. Chinese and emoji survive.
 */
export function sanitizeFileName(raw: string | undefined, fallbackExtension: string): string {
  const last = (raw ?? '').split(/[/\\]/).pop() ?? '';
  const cleaned = last
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}"*:<>?|]/gu, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+/, '');
  const limited = Array.from(cleaned).slice(0, 200).join('');
  return limited === '' ? `file.${fallbackExtension}` : limited;
}

/** The extension of a name, lower case, without the dot ('' when none). */
export function extensionOf(name: string | undefined): string {
  const match = /\.([A-Za-z0-9]{1,10})$/.exec(name ?? '');
  return match ? match[1].toLowerCase() : '';
}

/**
 * `Content-Disposition` with an ASCII `filename` fallback and the RFC 5987/6266 `filename*` for
 * everything else (Chinese, emoji), as browsers and WeChat's web view read it.
 */
export function contentDisposition(type: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/gu, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
