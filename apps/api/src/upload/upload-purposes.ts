/** What an upload is for: decides the accepted types, the size limit and who may download it. */
export const UPLOAD_PURPOSES = ['avatar', 'product', 'attachment'] as const;
export type UploadPurpose = (typeof UPLOAD_PURPOSES)[number];

/**
 * Raster images sharp decodes, re-encodes (metadata stripped) and bounds by pixels. SVG is never
 * here: it is a script carrier, as is HTML (neither has magic bytes file-type would report).
 */
export const IMAGE_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif']);

export interface PurposeRule {
  /** Public files are served to anyone and cached; private ones need the owner, an admin or a signed link. */
  public: boolean;
  types: ReadonlySet<string>;
  limit: 'image' | 'attachment';
}

export const PURPOSE_RULES: Readonly<Record<UploadPurpose, PurposeRule>> = {
  avatar: { public: true, types: IMAGE_TYPES, limit: 'image' },
  product: { public: true, types: IMAGE_TYPES, limit: 'image' },
  attachment: { public: false, types: new Set([...IMAGE_TYPES, 'application/pdf']), limit: 'attachment' },
};

export const isUploadPurpose = (value: string): value is UploadPurpose => (UPLOAD_PURPOSES as readonly string[]).includes(value);

/** Every type some purpose accepts: what a presign request may declare. */
export const DIRECT_UPLOAD_TYPES: readonly string[] = [...new Set(Object.values(PURPOSE_RULES).flatMap((rule) => [...rule.types]))];

/** A file whose purpose is not known yet (the field follows the file): any type some purpose accepts. */
// `limit` is not read for it: the caller passes the larger of the two limits (uploads.service receiveFile)
export const ANY_PURPOSE: PurposeRule = { public: false, types: new Set(DIRECT_UPLOAD_TYPES), limit: 'attachment' };
