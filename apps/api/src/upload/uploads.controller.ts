import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrors, Consumes, CurrentPrincipal, type Principal } from '@app/http';
import { DependencyErrors, RateLimit } from '@app/resilience';
import { checkPageDepth, PAGE_TOO_DEEP } from '../admin';
import { type DirectUpload, DirectUploadsService } from './direct-uploads.service';
import { FileIdParamsDto, ListUploadsQueryDto, PresignUploadDto, UploadFormDto } from './dto/upload.dto';
import { UploadError } from './upload.errors';
import { ownerOf, type UploadedFile, type UploadPage, UploadsService } from './uploads.service';

@ApiTags('uploads')
@ApiBearerAuth()
@Controller('uploads')
export class UploadsController {
  constructor(
    private readonly uploads: UploadsService,
    private readonly direct: DirectUploadsService,
  ) {}

  @Post()
  @HttpCode(201)
  @Consumes('multipart/form-data')
  @RateLimit({ limit: 60, windowMs: 60_000 })
  @ApiBody({ type: UploadFormDto })
  @ApiOperation({ summary: 'Upload one file (multipart: purpose and file, purpose first is best); streamed, checked by content, stored' })
  @ApiErrors(
    UploadError.PurposeMissing,
    UploadError.NoFile,
    UploadError.TooManyParts,
    UploadError.MalformedMultipart,
    UploadError.TooLarge,
    UploadError.QuotaExceeded,
    UploadError.TypeNotAllowed,
    UploadError.TypeMismatch,
    UploadError.ImageTooManyPixels,
    UploadError.ImageUndecodable,
    ...DependencyErrors,
  )
  upload(
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UploadedFile> {
    return this.uploads.receive(ownerOf(principal), request, () => void reply.header('connection', 'close'));
  }

  @Post('presign')
  @HttpCode(201)
  @RateLimit({ limit: 60, windowMs: 60_000 })
  @ApiOperation({ summary: 'S3 driver: a presigned POST to upload one file straight to the bucket; then POST /uploads/:id/complete' })
  @ApiErrors(UploadError.DirectUploadUnavailable, UploadError.TooLarge, UploadError.QuotaExceeded, UploadError.TypeNotAllowed, ...DependencyErrors)
  presign(@CurrentPrincipal() principal: Principal, @Body() body: PresignUploadDto): Promise<DirectUpload> {
    return this.direct.presign(ownerOf(principal), body);
  }

  @Post(':id/complete')
  @HttpCode(200)
  @ApiOperation({ summary: 'Check a direct upload (size, magic bytes, images normalised) and make it usable' })
  @ApiErrors(
    UploadError.FileNotFound,
    UploadError.NotUploaded,
    UploadError.TooLarge,
    UploadError.TypeNotAllowed,
    UploadError.TypeMismatch,
    UploadError.ImageTooManyPixels,
    UploadError.ImageUndecodable,
    ...DependencyErrors,
  )
  complete(@CurrentPrincipal() principal: Principal, @Param() params: FileIdParamsDto): Promise<UploadedFile> {
    return this.direct.complete(ownerOf(principal), params.id);
  }

  @Get()
  @ApiOperation({ summary: 'My files, newest first' })
  @ApiErrors(PAGE_TOO_DEEP)
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListUploadsQueryDto): Promise<UploadPage> {
    const page = { page: query.page ?? 1, pageSize: query.pageSize ?? 20 };
    checkPageDepth(page);
    return this.uploads.list(ownerOf(principal), page.page, page.pageSize);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete one of my files (its object and row)' })
  @ApiErrors(UploadError.FileNotFound, ...DependencyErrors)
  async remove(@CurrentPrincipal() principal: Principal, @Param() params: FileIdParamsDto): Promise<void> {
    await this.uploads.remove(ownerOf(principal), params.id);
  }
}
