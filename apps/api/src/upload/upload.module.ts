import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyAdapter } from '@nestjs/platform-fastify';
import { TypeOrmModule } from '@nestjs/typeorm';
import { StorageModule } from '@app/storage';
import { AuthModule } from '../auth';
import { DirectUploadsService } from './direct-uploads.service';
import { StoredFile } from './entities/stored-file.entity';
import { FileDownloadsService } from './file-downloads.service';
import { FileLinks } from './file-links';
import { FilesController } from './files.controller';
import { OrphanSweeper } from './jobs/orphan-sweeper';
import { OptionalViewer } from './optional-viewer';
import { UploadsController } from './uploads.controller';
import { UploadsService } from './uploads.service';

/** Uploads (streamed, checked by content), their storage (libs/storage) and downloads (issue 18). */
@Module({
  imports: [TypeOrmModule.forFeature([StoredFile]), StorageModule, AuthModule],
  controllers: [UploadsController, FilesController],
  providers: [UploadsService, DirectUploadsService, FileDownloadsService, FileLinks, OptionalViewer, OrphanSweeper],
  exports: [UploadsService, FileLinks],
})
export class UploadModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /**
   * @fastify/multipart, registered by Nest's adapter (once, on the root instance) with no options:
   * each upload route passes its own limits to request.parts() (uploads.service.ts).
   */
  onModuleInit(): void {
    (this.adapterHost.httpAdapter as unknown as FastifyAdapter).useMultipart();
  }
}
