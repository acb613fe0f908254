import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminModule } from '../admin';
import { AdminProductsController } from './admin-products.controller';
import { AdminProductsService } from './admin-products.service';
import { Product } from './entities/product.entity';
import { Sku } from './entities/sku.entity';
import { ProductsController } from './products.controller';
import { ProductsService } from './products.service';

/** Products and SKUs: the public catalogue, the dashboard's CRUD and stock, and prices and stock for orders. */
@Module({
  imports: [TypeOrmModule.forFeature([Product, Sku]), AdminModule],
  controllers: [ProductsController, AdminProductsController],
  providers: [ProductsService, AdminProductsService],
  exports: [ProductsService],
})
export class CatalogueModule {}
