import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ParseIdPipe, Public } from '@app/http';
import { checkPageDepth, PAGE_TOO_DEEP } from '../admin';
import { CatalogueError } from './catalogue.errors';
import { ProductQueryDto } from './dto/product.dto';
import { type ProductPage, type ProductView, ProductsService } from './products.service';

@ApiTags('catalogue')
@Public()
@Controller('products')
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Get()
  @ApiOperation({ summary: 'On-shelf products, newest first; filter by category' })
  @ApiErrors(PAGE_TOO_DEEP)
  list(@Query() query: ProductQueryDto): Promise<ProductPage> {
    const page = { page: query.page ?? 1, pageSize: query.pageSize ?? 20 };
    checkPageDepth(page);
    return this.products.list({ ...page, category: query.category, onShelf: true });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One on-shelf product with its SKUs (prices in fen); served from the two-level cache' })
  @ApiErrors(CatalogueError.ProductNotFound)
  detail(@Param('id', ParseIdPipe) id: number): Promise<ProductView> {
    return this.products.publicDetail(id);
  }
}
