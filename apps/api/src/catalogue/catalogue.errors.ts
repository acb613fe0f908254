import { HttpStatus } from '@nestjs/common';
import { defineErrors } from '@app/http';

/**
 * Catalogue errors: the order block (4000-4499), 4100-4149 (the catalogue is part of the order
 * domain; docs/orders.md lists the block's sub-ranges).
 */
export const CatalogueError = defineErrors('order', {
  ProductNotFound: { code: 4100, status: HttpStatus.NOT_FOUND, message: 'Product not found' },
  SkuNotFound: { code: 4101, status: HttpStatus.NOT_FOUND, message: 'SKU not found' },
  StockWouldGoNegative: { code: 4102, status: HttpStatus.CONFLICT, message: 'The adjustment would take stock below zero' },
});
