import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiErrors, AppError, CurrentPrincipal, ParseIdPipe, type Principal, Roles } from '@app/http';
import { AuditActors, checkPageDepth, PAGE_TOO_DEEP } from '../admin';
import { AdminProductsService } from './admin-products.service';
import { CatalogueError } from './catalogue.errors';
import { AdminProductQueryDto, CreateProductDto, SkuInputDto, StockAdjustmentDto, UpdateProductDto, UpdateSkuDto } from './dto/product.dto';
import { type ProductPage, type ProductView, ProductsService } from './products.service';

/** The dashboard's catalogue: operators read, admins write; every write is audited. */
@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin', 'operator')
@Controller('admin/products')
export class AdminProductsController {
  constructor(
    private readonly products: ProductsService,
    private readonly admin: AdminProductsService,
    private readonly actors: AuditActors,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Products on and off shelf, newest first' })
  @ApiErrors(PAGE_TOO_DEEP)
  list(@Query() query: AdminProductQueryDto): Promise<ProductPage> {
    const page = { page: query.page ?? 1, pageSize: query.pageSize ?? 20 };
    checkPageDepth(page);
    return this.products.list({
      ...page,
      category: query.category,
      onShelf: query.onShelf === undefined ? undefined : query.onShelf === 'true',
    });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One product (read from the database)' })
  @ApiErrors(CatalogueError.ProductNotFound)
  async get(@Param('id', ParseIdPipe) id: number): Promise<ProductView> {
    const product = await this.products.load(id);
    if (!product) throw new AppError(CatalogueError.ProductNotFound);
    return product;
  }

  @Post()
  @Roles('admin')
  @ApiOperation({ summary: 'Create a product with its SKUs (audited)' })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateProductDto, @Req() request: FastifyRequest): Promise<ProductView> {
    return this.admin.create(await this.actors.of(principal, request), body);
  }

  @Patch(':id')
  @Roles('admin')
  @ApiOperation({ summary: 'Change a product, or put it on / take it off the shelf (audited)' })
  @ApiErrors(CatalogueError.ProductNotFound)
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseIdPipe) id: number,
    @Body() body: UpdateProductDto,
    @Req() request: FastifyRequest,
  ): Promise<ProductView> {
    return this.admin.update(await this.actors.of(principal, request), id, body);
  }

  @Delete(':id')
  @Roles('admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a product and its SKUs (orders keep their copy; audited)' })
  @ApiErrors(CatalogueError.ProductNotFound)
  async remove(@CurrentPrincipal() principal: Principal, @Param('id', ParseIdPipe) id: number, @Req() request: FastifyRequest): Promise<void> {
    await this.admin.remove(await this.actors.of(principal, request), id);
  }

  @Post(':id/skus')
  @Roles('admin')
  @ApiOperation({ summary: 'Add a SKU (audited)' })
  @ApiErrors(CatalogueError.ProductNotFound)
  async addSku(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseIdPipe) id: number,
    @Body() body: SkuInputDto,
    @Req() request: FastifyRequest,
  ): Promise<ProductView> {
    return this.admin.addSku(await this.actors.of(principal, request), id, body);
  }

  @Patch(':id/skus/:skuId')
  @Roles('admin')
  @ApiOperation({ summary: 'Rename a SKU or change its price in fen (audited; orders already placed keep their price)' })
  @ApiErrors(CatalogueError.ProductNotFound, CatalogueError.SkuNotFound)
  async updateSku(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseIdPipe) id: number,
    @Param('skuId', ParseIdPipe) skuId: number,
    @Body() body: UpdateSkuDto,
    @Req() request: FastifyRequest,
  ): Promise<ProductView> {
    return this.admin.updateSku(await this.actors.of(principal, request), id, skuId, body);
  }

  @Post(':id/skus/:skuId/stock')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: 'Adjust stock by a delta (audited); never below zero, never losing concurrent orders' })
  @ApiErrors(CatalogueError.ProductNotFound, CatalogueError.SkuNotFound, CatalogueError.StockWouldGoNegative)
  async adjustStock(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseIdPipe) id: number,
    @Param('skuId', ParseIdPipe) skuId: number,
    @Body() body: StockAdjustmentDto,
    @Req() request: FastifyRequest,
  ): Promise<ProductView> {
    return this.admin.adjustStock(await this.actors.of(principal, request), id, skuId, body.delta, body.reason);
  }
}
