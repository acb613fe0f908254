import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, In, Repository } from 'typeorm';
import { TwoLevelCache } from '@app/cache';
import { AppError } from '@app/http';
import { CatalogueError } from './catalogue.errors';
import { Product } from './entities/product.entity';
import { Sku } from './entities/sku.entity';

export interface SkuView {
  id: number;
  name: string;
  priceFen: number;
  stock: number;
}

export interface ProductView {
  id: number;
  name: string;
  description: string;
  category: string;
  imageUrl: string;
  onShelf: boolean;
  /** The cheapest SKU's price (fen): what a list shows. */
  minPriceFen: number;
  skus: SkuView[];
  createdAt: string;
  updatedAt: string;
}

export interface ProductPage {
  items: ProductView[];
  total: number;
  page: number;
  pageSize: number;
}

export interface ProductListQuery {
  page: number;
  pageSize: number;
  category?: string;
  /** undefined: both (the dashboard); the public list always asks for true. */
  onShelf?: boolean;
}

/** What an order needs of a SKU when it is placed: the price is the catalogue's, never the client's. */
export interface PricedSku {
  skuId: number;
  productId: number;
  productName: string;
  skuName: string;
  priceFen: number;
  onShelf: boolean;
  /** Stock at the moment of the read (a snapshot: reading it never waits for a buyer's row lock). */
  stock: number;
}

const DETAIL_TTL_MS = 5 * 60_000;

/**
 * The catalogue as the rest of the system reads it: public lists and details (the detail through
 * the two-level cache, whose `catalogue:product:` keys this service alone owns), prices for
 * orders, and the stock counter, which only ever moves by conditional UPDATEs inside the caller's
 * transaction.
 */
@Injectable()
export class ProductsService {
  constructor(
    @InjectRepository(Product) private readonly products: Repository<Product>,
    @InjectRepository(Sku) private readonly skus: Repository<Sku>,
    private readonly cache: TwoLevelCache,
  ) {}

  async list(query: ProductListQuery): Promise<ProductPage> {
    const builder = this.products.createQueryBuilder('product').orderBy('product.id', 'DESC');
    if (query.onShelf !== undefined) builder.andWhere('product.onShelf = :onShelf', { onShelf: query.onShelf });
    if (query.category) builder.andWhere('product.category = :category', { category: query.category });
    const [rows, total] = await builder
      .skip((query.page - 1) * query.pageSize)
      .take(query.pageSize)
      .getManyAndCount();
    const skus = rows.length === 0 ? [] : await this.skus.find({ where: { productId: In(rows.map((row) => row.id)) }, order: { id: 'ASC' } });
    return { items: rows.map((row) => toView(row, skus.filter((sku) => sku.productId === row.id))), total, page: query.page, pageSize: query.pageSize };
  }

  /** An on-shelf product, from the cache (a missing id is cached briefly as null). Off shelf or missing: 404. */
  async publicDetail(id: number): Promise<ProductView> {
    const product = await this.detail(id);
    if (!product?.onShelf) throw new AppError(CatalogueError.ProductNotFound);
    return product;
  }

  /** Any product, from the cache; null when there is none. */
  async detail(id: number): Promise<ProductView | null> {
    return this.cache.getOrLoad<ProductView>(productKey(id), () => this.load(id), DETAIL_TTL_MS);
  }

  /** Straight from the database (the dashboard reads after its writes). */
  async load(id: number, manager?: EntityManager): Promise<ProductView | null> {
    const reader = manager ?? this.products.manager;
    const product = await reader.findOne(Product, { where: { id } });
    if (!product) return null;
    const skus = await reader.find(Sku, { where: { productId: id }, order: { id: 'ASC' } });
    return toView(product, skus);
  }

  /** Drops the cached detail everywhere: call after every committed change to the product, its SKUs or their stock. */
  async invalidate(productId: number): Promise<void> {
    await this.cache.invalidate(productKey(productId));
  }

  /** Current prices and names of these SKUs (missing ones are absent from the map). */
  async priceSkus(skuIds: readonly number[]): Promise<Map<number, PricedSku>> {
    if (skuIds.length === 0) return new Map();
    const rows = await this.skus
      .createQueryBuilder('sku')
      .innerJoin(Product, 'product', 'product.id = sku.productId')
      .select(['sku.id AS skuId', 'sku.productId AS productId', 'sku.name AS skuName', 'sku.priceFen AS priceFen', 'sku.stock AS stock'])
      .addSelect(['product.name AS productName', 'product.onShelf AS onShelf'])
      .where('sku.id IN (:...ids)', { ids: [...skuIds] })
      .getRawMany<{ skuId: number; productId: number; skuName: string; priceFen: number; stock: number; productName: string; onShelf: number | boolean }>();
    return new Map(
      rows.map((row) => [
        Number(row.skuId),
        {
          skuId: Number(row.skuId),
          productId: Number(row.productId),
          productName: row.productName,
          skuName: row.skuName,
          priceFen: Number(row.priceFen),
          onShelf: Boolean(Number(row.onShelf)),
          stock: Number(row.stock),
        },
      ]),
    );
  }

  /**
   * Takes `quantity` from a SKU's stock inside the caller's transaction, atomically: one
   * conditional UPDATE (`… WHERE id = ? AND stock >= ?`), whose row lock also serialises concurrent
   * buyers of the SKU until the caller commits. False when there is not enough stock (nothing changed).
   */
  async reserveStock(manager: EntityManager, skuId: number, quantity: number): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(Sku)
      .set({ stock: () => 'stock - :quantity' })
      .where('id = :skuId AND stock >= :quantity', { skuId, quantity })
      .updateEntity(false)
      .execute();
    return result.affected === 1;
  }

  /** Gives reserved stock back (a cancelled order), inside the caller's transaction. */
  async releaseStock(manager: EntityManager, skuId: number, quantity: number): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(Sku)
      .set({ stock: () => 'stock + :quantity' })
      .where('id = :skuId', { skuId, quantity })
      .updateEntity(false)
      .execute();
  }
}

export function productKey(id: number): string {
  return `catalogue:product:${id}`;
}

export function toView(product: Product, skus: readonly Sku[]): ProductView {
  const skuViews = skus.map((sku) => ({ id: sku.id, name: sku.name, priceFen: sku.priceFen, stock: sku.stock }));
  return {
    id: product.id,
    name: product.name,
    description: product.description,
    category: product.category,
    imageUrl: product.imageUrl,
    onShelf: Boolean(product.onShelf),
    minPriceFen: skuViews.length === 0 ? 0 : Math.min(...skuViews.map((sku) => sku.priceFen)),
    skus: skuViews,
    createdAt: new Date(product.createdAt).toISOString(),
    updatedAt: new Date(product.updatedAt).toISOString(),
  };
}
