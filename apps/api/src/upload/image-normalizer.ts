import sharp, { type Sharp } from 'sharp';
import { AppError } from '@app/http';
import { UploadError } from './upload.errors';

/**
 * A sharp transform that decodes the image under a pixel limit (a decompression bomb fails at its
 * header, before any pixel is allocated), applies the EXIF orientation and re-encodes it in its
 * own format. sharp writes no metadata unless asked (withMetadata), so EXIF (GPS), XMP and IPTC
 * are gone from what is stored.
 */
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
