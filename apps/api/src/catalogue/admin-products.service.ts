import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { TransactionRunner } from '@app/database';
import { AppError } from '@app/http';
import { type AuditActor, AuditLogService } from '../admin';
import { CatalogueError } from './catalogue.errors';
import type { CreateProductDto, SkuInputDto, UpdateProductDto, UpdateSkuDto } from './dto/product.dto';
import { Product } from './entities/product.entity';
import { Sku } from './entities/sku.entity';
import { type ProductView, ProductsService } from './products.service';

/**
 * The dashboard's writes to the catalogue: each change and its audit row in one transaction, the
 * cached detail dropped after commit. Stock adjustments are conditional UPDATEs like orders' own.
 */
@Injectable()
export class AdminProductsService {
  constructor(
    private readonly products: ProductsService,
    private readonly transactions: TransactionRunner,
    private readonly audit: AuditLogService,
  ) {}

  async create(actor: AuditActor, input: CreateProductDto): Promise<ProductView> {
    const id = await this.transactions.run(async (manager) => {
      const inserted = await manager.insert(Product, {
        name: input.name,
        description: input.description ?? '',
        category: input.category,
        imageUrl: input.imageUrl ?? '',
        onShelf: input.onShelf ?? false,
      });
      const productId = Number(inserted.identifiers[0].id);
      await manager.insert(
        Sku,
        input.skus.map((sku) => ({ productId, name: sku.name, priceFen: sku.priceFen, stock: sku.stock })),
      );
      await this.record(manager, actor, 'product.create', productId, null, await this.mustLoad(productId, manager));
      return productId;
    });
    await this.products.invalidate(id);
    return this.mustLoad(id);
  }

  async update(actor: AuditActor, id: number, changes: UpdateProductDto): Promise<ProductView> {
    await this.transactions.run(async (manager) => {
      const before = await this.mustLoad(id, manager);
      const update: Partial<Product> = {};
      if (changes.name !== undefined) update.name = changes.name;
      if (changes.description !== undefined) update.description = changes.description;
      if (changes.category !== undefined) update.category = changes.category;
      if (changes.imageUrl !== undefined) update.imageUrl = changes.imageUrl;
      if (changes.onShelf !== undefined) update.onShelf = changes.onShelf;
      if (Object.keys(update).length === 0) return;
      await manager.update(Product, { id }, update);
      await this.record(manager, actor, changes.onShelf === undefined ? 'product.update' : 'product.shelf', id, before, await this.mustLoad(id, manager));
    });
    await this.products.invalidate(id);
    return this.mustLoad(id);
  }

  async remove(actor: AuditActor, id: number): Promise<void> {
    await this.transactions.run(async (manager) => {
      const before = await this.mustLoad(id, manager);
      // orders keep their own copy of names and prices, so removing a product never rewrites history
      await manager.delete(Sku, { productId: id });
      await manager.delete(Product, { id });
      await this.record(manager, actor, 'product.delete', id, before, null);
    });
    await this.products.invalidate(id);
  }

  async addSku(actor: AuditActor, productId: number, input: SkuInputDto): Promise<ProductView> {
    await this.transactions.run(async (manager) => {
      const before = await this.mustLoad(productId, manager);
      await manager.insert(Sku, { productId, name: input.name, priceFen: input.priceFen, stock: input.stock });
      await this.record(manager, actor, 'product.sku.create', productId, before, await this.mustLoad(productId, manager));
    });
    await this.products.invalidate(productId);
    return this.mustLoad(productId);
  }

  async updateSku(actor: AuditActor, productId: number, skuId: number, changes: UpdateSkuDto): Promise<ProductView> {
    await this.transactions.run(async (manager) => {
      const before = await this.mustLoad(productId, manager);
      if (!before.skus.some((sku) => sku.id === skuId)) throw new AppError(CatalogueError.SkuNotFound);
      const update: Partial<Sku> = {};
      if (changes.name !== undefined) update.name = changes.name;
      if (changes.priceFen !== undefined) update.priceFen = changes.priceFen;
      if (Object.keys(update).length === 0) return;
      await manager.update(Sku, { id: skuId, productId }, update);
      await this.record(manager, actor, 'product.sku.update', productId, before, await this.mustLoad(productId, manager));
    });
    await this.products.invalidate(productId);
    return this.mustLoad(productId);
  }

  /** Adds (or removes, negative) stock; refused with 409 when it would go below zero. Concurrent orders are never lost. */
  async adjustStock(actor: AuditActor, productId: number, skuId: number, delta: number, reason?: string): Promise<ProductView> {
    await this.transactions.run(async (manager) => {
      const before = await this.mustLoad(productId, manager);
      if (!before.skus.some((sku) => sku.id === skuId)) throw new AppError(CatalogueError.SkuNotFound);
      if (delta > 0) {
        await this.products.releaseStock(manager, skuId, delta);
      } else if (!(await this.products.reserveStock(manager, skuId, -delta))) {
        throw new AppError(CatalogueError.StockWouldGoNegative);
      }
      const after = await this.mustLoad(productId, manager);
      const stockOf = (view: ProductView) => view.skus.find((sku) => sku.id === skuId)?.stock;
      await this.audit.record(manager, actor, {
        action: 'product.stock.adjust',
        targetType: 'sku',
        targetId: skuId,
        before: { productId, stock: stockOf(before) },
        after: { productId, stock: stockOf(after), delta, reason: reason ?? '' },
      });
    });
    await this.products.invalidate(productId);
    return this.mustLoad(productId);
  }

  private async mustLoad(id: number, manager?: EntityManager): Promise<ProductView> {
    const view = await this.products.load(id, manager);
    if (!view) throw new AppError(CatalogueError.ProductNotFound);
    return view;
  }

  private async record(
    manager: EntityManager,
    actor: AuditActor,
    action: string,
    productId: number,
    before: ProductView | null,
    after: ProductView | null,
  ): Promise<void> {
    const strip = (view: ProductView | null) => (view ? { ...view, createdAt: undefined, updatedAt: undefined } : null);
    await this.audit.record(manager, actor, { action, targetType: 'product', targetId: productId, before: strip(before), after: strip(after) });
  }
}
