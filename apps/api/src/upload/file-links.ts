import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { StoredFile } from './entities/stored-file.entity';
import { SignedLinks } from './signed-links';
import type { UploadConfig } from './upload.config';
import { PURPOSE_RULES } from './upload-purposes';

/** The download route of a file, as clients get it: plain for public purposes, signed and expiring for private ones. */
@Injectable()
export class FileLinks {
  readonly signer: SignedLinks;
  private readonly ttlS: number;

  constructor(config: ConfigService) {
    const upload = config.getOrThrow<UploadConfig>('upload');
    this.signer = new SignedLinks(upload.urlSecret);
    this.ttlS = upload.signedUrlTtlS;
  }

  urlOf(file: Pick<StoredFile, 'id' | 'purpose'>, ttlS = this.ttlS): string {
    const path = `/api/v1/files/${file.id}`;
    if (PURPOSE_RULES[file.purpose].public) return path;
    return `${path}?${this.signer.query(file.id, Math.floor(Date.now() / 1000) + ttlS)}`;
  }
}
