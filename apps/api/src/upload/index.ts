// The upload feature's public face: other features (products, reviews) refer to files by id through UploadsService.
export { UploadModule } from './upload.module';
export { type FileOwner, type UploadedFile, type UploadPage, UploadsService } from './uploads.service';
export { FileLinks } from './file-links';
export { UploadError } from './upload.errors';
export { loadUploadConfig, uploadConfig, type UploadConfig } from './upload.config';
export { type UploadPurpose, UPLOAD_PURPOSES } from './upload-purposes';
