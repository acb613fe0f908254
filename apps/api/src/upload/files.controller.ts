import type { Readable } from 'node:stream';
import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrors, AppError, Public, RawResponse } from '@app/http';
import { DependencyErrors } from '@app/resilience';
import { DownloadQueryDto, FileIdParamsDto } from './dto/upload.dto';
import { FileDownloadsService } from './file-downloads.service';
import { OptionalViewer } from './optional-viewer';
import { UploadError } from './upload.errors';

@ApiTags('uploads')
@Controller('files')
export class FilesController {
  constructor(
    private readonly downloads: FileDownloadsService,
    private readonly viewers: OptionalViewer,
  ) {}

  @Get(':id')
  @Public()
  @RawResponse()
  @ApiOperation({
    summary: 'Download a file: public purposes to anyone; private ones to the owner or an admin (bearer token) or by a signed link',
  })
  @ApiOkResponse({
    description: 'The file (206 with Content-Range for a Range request, 304 when If-None-Match matches the ETag)',
    content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
  })
  @ApiErrors(
    UploadError.FileNotFound,
    UploadError.LinkInvalid,
    UploadError.LinkExpired,
    UploadError.RangeNotSatisfiable,
    UploadError.VariantNotAvailable,
    UploadError.ImageUndecodable,
    ...DependencyErrors,
  )
  async download(
    @Param() params: FileIdParamsDto,
    @Query() query: DownloadQueryDto,
    @Headers() headers: Record<string, string | undefined>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Readable | undefined> {
    try {
      const download = await this.downloads.open(params.id, {
        viewer: await this.viewers.of(headers.authorization),
        width: query.w,
        expires: query.expires,
        sig: query.sig,
        range: headers.range,
        ifNoneMatch: headers['if-none-match'],
      });
      void reply.status(download.status).headers(download.headers);
      return download.body ?? undefined;
    } catch (error) {
      // RFC 9110: a 416 says how large the file is
      if (error instanceof AppError && error.definition === UploadError.RangeNotSatisfiable) {
        void reply.header('content-range', `bytes */${(error.data as { size: number }).size}`);
      }
      throw error;
    }
  }
}
