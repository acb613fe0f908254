import 'reflect-metadata';
import { ConfigValidationError } from '@app/config';
import { cliDataSource } from '../data-source';

interface SeedProduct {
  name: string;
  description: string;
  category: string;
  imageUrl: string;
  skus: Array<{ name: string; priceFen: number; stock: number }>;
}

/** A small catalogue a newcomer can browse and order from (prices in fen). */
const CATALOGUE: SeedProduct[] = [
  {
    name: '云南小粒咖啡豆',
    description: 'Medium roast arabica from Pu’er, roasted weekly.',
    category: 'coffee',
    imageUrl: 'https://example.com/images/coffee-beans.jpg',
    skus: [
      { name: '250 g', priceFen: 6800, stock: 200 },
      { name: '500 g', priceFen: 12_800, stock: 120 },
    ],
  },
  {
    name: 'Drip bags (10 pack)',
    description: 'Single-serve pour-over bags.',
    category: 'coffee',
    imageUrl: 'https://example.com/images/drip-bags.jpg',
    skus: [{ name: '10 × 12 g', priceFen: 3900, stock: 300 }],
  },
  {
    name: '陶瓷马克杯',
    description: '350 ml stoneware mug.',
    category: 'mugs',
    imageUrl: 'https://example.com/images/mug.jpg',
    skus: [
      { name: 'White', priceFen: 4500, stock: 80 },
      { name: 'Celadon', priceFen: 5200, stock: 40 },
    ],
  },
  {
    name: 'Flash-sale grinder',
    description: 'Hand grinder, 100 units only.',
    category: 'gear',
    imageUrl: 'https://example.com/images/grinder.jpg',
    skus: [{ name: 'Standard', priceFen: 19_900, stock: 100 }],
  },
];

/**
 * `npm run seed`: puts a small catalogue in an empty `products` table (never touches one that
 * has products). Works on either profile: MariaDB (migrate first) or the embedded SQLite file,
 * which it migrates itself as the embedded app would at start.
 */
async function main(): Promise<number> {
  await cliDataSource.initialize();
  try {
    if (await cliDataSource.showMigrations()) {
      if (cliDataSource.options.type !== 'better-sqlite3') {
        process.stderr.write('seed: the schema is not up to date: run `npm run migration:run` first\n');
        return 1;
      }
      await cliDataSource.runMigrations({ transaction: 'each' });
    }
    const [{ count }] = (await cliDataSource.query('SELECT COUNT(*) AS count FROM products')) as Array<{ count: number | string }>;
    if (Number(count) > 0) {
      process.stdout.write(`seed: the catalogue already has ${count} products; nothing added\n`);
      return 0;
    }
    await cliDataSource.transaction(async (manager) => {
      for (const product of CATALOGUE) {
        await manager.query('INSERT INTO products (name, description, category, image_url, on_shelf) VALUES (?, ?, ?, ?, ?)', [
          product.name,
          product.description,
          product.category,
          product.imageUrl,
          1,
        ]);
        const [{ id: productId }] = (await manager.query('SELECT MAX(id) AS id FROM products')) as Array<{ id: number }>;
        for (const sku of product.skus) {
          await manager.query('INSERT INTO skus (product_id, name, price_fen, stock) VALUES (?, ?, ?, ?)', [productId, sku.name, sku.priceFen, sku.stock]);
        }
      }
    });
    process.stdout.write(`seed: added ${CATALOGUE.length} products\n`);
    return 0;
  } finally {
    await cliDataSource.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof ConfigValidationError ? error.message : `seed failed: ${(error as Error).message}`;
    process.stderr.write(`${message}\n`);
    process.exit(1);
  },
);
