import { createRequire } from 'node:module';
import type { Sharp, SharpOptions } from 'sharp';
import { AppError } from '@app/http';
import { UploadError } from './upload.errors';

/**
 * A sharp transform that decodes the image under a pixel limit (a decompression bomb fails at its
 * header, before any pixel is allocated), applies the EXIF orientation and re-encodes it in its
 * own format. sharp writes no metadata unless asked (withMetadata), so EXIF (GPS), XMP and IPTC
 * are gone from what is stored.
 */
let sharpModule: typeof import('sharp') | undefined;

/**
 * sharp (libvips, ~19 MB of resident memory) is loaded with the first image, not at start: a
 * process that serves only attachments and downloads never pays for it. A plain require: it is a
 * native addon kept out of the bundle, and the bundle's launcher cannot run a dynamic import().
 */
function sharp(options: SharpOptions): Sharp {
  sharpModule ??= createRequire(__filename)('sharp') as typeof import('sharp');
  return sharpModule(options);
}

export function imageNormalizer(mime: string, maxPixels: number): Sharp {
  const image = sharp({ limitInputPixels: maxPixels, animated: mime === 'image/gif', failOn: 'error', sequentialRead: true }).rotate();
  switch (mime) {
    case 'image/jpeg':
      return image.jpeg({ quality: 88 });
    case 'image/png':
      return image.png();
    case 'image/webp':
      return image.webp({ quality: 88 });
    default:
      return image.gif();
  }
}

/** A width variant (never enlarged), in the original's format. */
export function imageResizer(mime: string, width: number, maxPixels: number): Sharp {
  return imageNormalizer(mime, maxPixels).resize({ width, withoutEnlargement: true });
}

/** sharp's failures as the client's problem: too many pixels, or bytes that do not decode. */
export function imageError(error: unknown): AppError {
  const message = error instanceof Error ? error.message : '';
  if (/pixel limit/i.test(message)) return new AppError(UploadError.ImageTooManyPixels, { cause: error });
  return new AppError(UploadError.ImageUndecodable, { cause: error });
}
