// Bare Fastify + mysql2 (no Nest, no TypeORM): the ceiling `POST /api/v1/orders` is compared
// against. Per request, the same SQL in one transaction as the API's order placement: the
// conditional stock UPDATE, then the order, its item, its order_events row and its outbox row;
// 409 when the UPDATE matches no row. Its own tables (created at start, same columns and indexes),
// so it needs no migrations. No auth, no idempotency store, no price lookup: what is left is
// the database work the API cannot avoid. A SKU once found empty answers 409 at once (the flash
// sale's baseline: what this machine gives 2,000 fresh connections with no application work).
import { randomInt, randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import mysql from 'mysql2/promise';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const pool = mysql.createPool({
  host: process.env.DB_HOST ?? '127.0.0.1',
  port: Number(process.env.DB_PORT ?? 3306),
  user: process.env.DB_USER ?? 'root',
  password: process.env.DB_PASSWORD ?? '',
  database: process.env.DB_NAME,
  connectionLimit: Number(process.env.DB_POOL_SIZE ?? 10),
  charset: 'utf8mb4_unicode_ci',
});

const DDL = [
  `CREATE TABLE IF NOT EXISTS baseline_skus (id int PRIMARY KEY AUTO_INCREMENT, product_id int NOT NULL, name varchar(64) NOT NULL,
     price_fen int NOT NULL, stock int NOT NULL DEFAULT 0, updated_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6))`,
  `CREATE TABLE IF NOT EXISTS baseline_orders (id int PRIMARY KEY AUTO_INCREMENT, order_no varchar(32) NOT NULL, user_id int NOT NULL,
     status varchar(24) NOT NULL, version int NOT NULL DEFAULT 0, total_fen int NOT NULL, remark varchar(200) NOT NULL DEFAULT '',
     pay_deadline datetime(3) NOT NULL, created_at datetime(3) NOT NULL, updated_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
     UNIQUE KEY uq_baseline_orders_no (order_no), KEY idx_baseline_orders_user (user_id, created_at), KEY idx_baseline_orders_status (status, created_at),
     KEY idx_baseline_orders_deadline (status, pay_deadline))`,
  `CREATE TABLE IF NOT EXISTS baseline_order_items (id int PRIMARY KEY AUTO_INCREMENT, order_id int NOT NULL, product_id int NOT NULL, sku_id int NOT NULL,
     product_name varchar(128) NOT NULL, sku_name varchar(64) NOT NULL, unit_price_fen int NOT NULL, quantity int NOT NULL, KEY idx_baseline_items_order (order_id))`,
  `CREATE TABLE IF NOT EXISTS baseline_order_events (id int PRIMARY KEY AUTO_INCREMENT, order_id int NOT NULL, from_status varchar(24) NULL,
     to_status varchar(24) NOT NULL, actor varchar(64) NOT NULL, note varchar(255) NOT NULL DEFAULT '', created_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
     KEY idx_baseline_events_order (order_id))`,
  `CREATE TABLE IF NOT EXISTS baseline_outbox (id varchar(36) PRIMARY KEY, name varchar(100) NOT NULL, payload text NOT NULL, created_at datetime(3) NOT NULL,
     sent_at datetime(3) NULL, KEY idx_baseline_outbox_unsent (sent_at, id))`,
];
for (const statement of DDL) await pool.query(statement);

const app = Fastify({ logger: false });

/** A SKU to order from (the bench's prepare step): `{ stock }` → `{ skuId }`. */
app.post('/bench/skus', async (request) => {
  const [result] = await pool.query('INSERT INTO baseline_skus (product_id, name, price_fen, stock) VALUES (1, ?, 1999, ?)', ['std', request.body.stock]);
  return { skuId: result.insertId };
});

/** SKUs seen without stock: later buyers get their 409 without the database, as the API's sold-out memo does. */
const soldOut = new Set();

app.post('/api/v1/orders', async (request, reply) => {
  const requestId = randomUUID();
  reply.header('x-request-id', requestId);
  const { skuId, quantity } = request.body.items[0];
  if (soldOut.has(skuId)) {
    reply.code(409);
    return { code: 4001, message: 'Not enough stock', data: null, requestId };
  }
  const connection = await pool.getConnection();
  try {
    await connection.beginTransaction();
    const [reserved] = await connection.query('UPDATE baseline_skus SET stock = stock - ? WHERE id = ? AND stock >= ?', [quantity, skuId, quantity]);
    if (reserved.affectedRows !== 1) {
      await connection.rollback();
      soldOut.add(skuId);
      reply.code(409);
      return { code: 4001, message: 'Not enough stock', data: null, requestId };
    }
    const now = new Date();
    const orderNo = `${now.toISOString().replace(/\D/g, '').slice(0, 17)}${String(randomInt(0, 1_000_000)).padStart(6, '0')}`;
    const [order] = await connection.query(
      'INSERT INTO baseline_orders (order_no, user_id, status, total_fen, remark, pay_deadline, created_at) VALUES (?, 1, ?, ?, ?, ?, ?)',
      [orderNo, 'PENDING_PAYMENT', 1999 * quantity, '', new Date(now.getTime() + 900_000), now],
    );
    const orderId = order.insertId;
    await connection.query(
      'INSERT INTO baseline_order_items (order_id, product_id, sku_id, product_name, sku_name, unit_price_fen, quantity) VALUES (?, 1, ?, ?, ?, 1999, ?)',
      [orderId, skuId, 'bench', 'std', quantity],
    );
    await connection.query('INSERT INTO baseline_order_events (order_id, from_status, to_status, actor) VALUES (?, NULL, ?, ?)', [orderId, 'PENDING_PAYMENT', 'user:1']);
    await connection.query('INSERT INTO baseline_outbox (id, name, payload, created_at) VALUES (?, ?, ?, ?)', [
      randomUUID(),
      'order.created',
      JSON.stringify({ orderId, userId: 1, totalFen: 1999 * quantity }),
      now,
    ]);
    await connection.commit();
    reply.code(201);
    return { code: 0, message: 'ok', data: { id: orderId, orderNo, status: 'PENDING_PAYMENT', totalFen: 1999 * quantity }, requestId };
  } catch (error) {
    await connection.rollback().catch(() => undefined);
    throw error;
  } finally {
    connection.release();
  }
});

app.get('/api/v1/ping', async () => ({ code: 0, message: 'ok', data: { pong: true } }));

await app.listen({ port, host, backlog: 4096 });

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    Promise.all([app.close(), pool.end()]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
