// The catalogue's public face: orders read prices and move stock through ProductsService, never the repositories.
export { CatalogueModule } from './catalogue.module';
export { type PricedSku, type ProductPage, type ProductView, ProductsService, type SkuView } from './products.service';
export { CatalogueError } from './catalogue.errors';
