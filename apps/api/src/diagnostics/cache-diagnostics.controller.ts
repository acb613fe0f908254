import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { TwoLevelCache } from '@app/cache';
import { AppError, CommonError, ParseIdPipe, Public } from '@app/http';
import { CacheItemQueryDto, CacheItemVersionDto } from './dto/cache-item.dto';

export interface CacheItem {
  id: number;
  version: number;
  sku: string;
  name: string;
  priceCents: number;
  stock: number;
  tags: string[];
  description: string;
}

/** Ids from here up do not exist: lookups for them exercise null caching. */
const FIRST_MISSING_ID = 1_000_000;
const TABLE = 'diagnostics_cache_items';
const DESCRIPTION = 'A cached catalogue item of about one kilobyte, the typical size of a product card. '.repeat(10);

/**
 * A read-mostly resource behind TwoLevelCache, for the cache e2e suite and the bench
 * (ENABLE_TEST_ROUTES only). Versions live in the shared database, so two instances see
 * the same writes, as with a real entity; the table is created on first use and exists
 * only in test databases.
 */
@ApiExcludeController()
@Public()
@Controller('diagnostics/cache/items')
export class CacheDiagnosticsController {
  private readonly loads = new Map<number, number>();
  private tableReady: Promise<unknown> | null = null;

  constructor(
    private readonly cache: TwoLevelCache,
    private readonly dataSource: DataSource,
  ) {}

  /** The bench's route, a plain GET by id: a query DTO here would cost ~30 µs a request (measured). */
  @Get(':id')
  async item(@Param('id', ParseIdPipe) id: number): Promise<CacheItem> {
    return this.read(id, 0);
  }

  /** Same item and cache key; a miss loads slowly, so concurrent requests overlap with the load. */
  @Get(':id/slow')
  async slowItem(@Param('id', ParseIdPipe) id: number, @Query() query: CacheItemQueryDto): Promise<CacheItem> {
    return this.read(id, query.loadMs ?? 0);
  }

  @Put(':id')
  async update(@Param('id', ParseIdPipe) id: number, @Body() body: CacheItemVersionDto): Promise<{ id: number; version: number }> {
    await this.ensureTable();
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`DELETE FROM ${TABLE} WHERE id = ?`, [id]);
      await manager.query(`INSERT INTO ${TABLE} (id, version) VALUES (?, ?)`, [id, body.version]);
    });
    await this.cache.invalidate(`diag:item:${id}`);
    return { id, version: body.version };
  }

  /** How often this process ran the loader for an item. */
  @Get(':id/loads')
  loadCount(@Param('id', ParseIdPipe) id: number): { loads: number } {
    return { loads: this.loads.get(id) ?? 0 };
  }

  private async read(id: number, loadDelayMs: number): Promise<CacheItem> {
    const item = await this.cache.getOrLoad(`diag:item:${id}`, () => this.loadItem(id, loadDelayMs));
    if (!item) throw new AppError(CommonError.NotFound);
    return item;
  }

  private async loadItem(id: number, delayMs: number): Promise<CacheItem | null> {
    this.loads.set(id, (this.loads.get(id) ?? 0) + 1);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (id >= FIRST_MISSING_ID) return null;
    await this.ensureTable();
    const rows: { version: number }[] = await this.dataSource.query(`SELECT version FROM ${TABLE} WHERE id = ?`, [id]);
    const version = rows.length > 0 ? Number(rows[0].version) : 1;
    return {
      id,
      version,
      sku: `SKU-${String(id).padStart(8, '0')}`,
      name: `Diagnostics item ${id}`,
      priceCents: 1999,
      stock: 42,
      tags: ['diagnostics', 'cache', 'bench'],
      description: DESCRIPTION,
    };
  }

  private ensureTable(): Promise<unknown> {
    this.tableReady ??= this.dataSource
      .query(`CREATE TABLE IF NOT EXISTS ${TABLE} (id INTEGER PRIMARY KEY, version INTEGER NOT NULL)`)
      .catch((error: unknown) => {
        this.tableReady = null;
        throw error;
      });
    return this.tableReady;
  }
}
