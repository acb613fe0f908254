// Regenerates docs/orders-explain.md: a fresh MariaDB database (root, empty password, 127.0.0.1), migrated
// by the built CLI, filled with 20,000 orders and 300 products, then EXPLAIN of each list query as the services
// issue it. Run after `npm run build`: node scripts/explain-order-queries.mjs > /tmp/explain.md
import { spawnSync } from 'node:child_process';
import mysql from 'mysql2/promise';
const name = `explain_${Date.now()}`;
const admin = await mysql.createConnection({ host: '127.0.0.1', user: 'root', password: '' });
await admin.query(`CREATE DATABASE ${name}`);
const env = { ...process.env, NODE_ENV: 'test', DB_TYPE: 'mariadb', DB_HOST: '127.0.0.1', DB_PORT: '3306', DB_USER: 'root', DB_PASSWORD: '', DB_NAME: name, REDIS_URL: 'redis://127.0.0.1:6379', AUTH_JWT_SECRET: 'x'.repeat(40), WECHAT_APP_ID: 'wx', WECHAT_APP_SECRET: 's' };
const run = spawnSync(process.execPath, ['dist/apps/api/src/cli/migrate.js', 'run'], { env, encoding: 'utf8' });
if (run.status !== 0) { console.error(run.stdout, run.stderr); process.exit(1); }
const db = await mysql.createConnection({ host: '127.0.0.1', user: 'root', password: '', database: name });
// 20,000 orders of 500 users over 30 days, statuses mixed: enough rows for the optimizer to choose as in production
const statuses = ['PENDING_PAYMENT', 'PAID', 'SHIPPED', 'COMPLETED', 'CANCELLED', 'CANCELLED', 'COMPLETED', 'COMPLETED'];
for (let batch = 0; batch < 20; batch++) {
  const rows = [];
  for (let i = 0; i < 1000; i++) {
    const n = batch * 1000 + i;
    const created = new Date(Date.UTC(2026, 10, 6) + n * 130_000);
    rows.push([`2026${String(n).padStart(19, '0')}`, (n % 500) + 1, statuses[n % statuses.length], 0, 1999, created, new Date(created.getTime() + 900_000)]);
  }
  await db.query('INSERT INTO orders (order_no, user_id, status, version, total_fen, created_at, pay_deadline) VALUES ?', [rows]);
}
for (let p = 0; p < 300; p++) await db.query('INSERT INTO products (name, category, on_shelf) VALUES (?, ?, ?)', [`p${p}`, `c${p % 10}`, p % 4 === 0 ? 0 : 1]);
await db.query('ANALYZE TABLE orders, products');
const queries = {
  'GET /orders (own, first page)': "SELECT * FROM orders o WHERE o.user_id = 42 ORDER BY o.created_at DESC, o.id DESC LIMIT 21",
  'GET /orders (own, next page: keyset cursor)': "SELECT * FROM orders o WHERE o.user_id = 42 AND o.created_at <= '2026-11-20 00:00:00.000' AND (o.created_at < '2026-11-20 00:00:00.000' OR o.id < 9000) ORDER BY o.created_at DESC, o.id DESC LIMIT 21",
  'GET /orders?status=PAID (own)': "SELECT * FROM orders o WHERE o.user_id = 42 AND o.status = 'PAID' ORDER BY o.created_at DESC, o.id DESC LIMIT 21",
  'GET /admin/orders?status=PAID&from=&to=': "SELECT * FROM orders o WHERE o.status = 'PAID' AND o.created_at >= '2026-11-10' AND o.created_at < '2026-11-20' ORDER BY o.created_at DESC, o.id DESC LIMIT 20 OFFSET 0",
  'GET /admin/orders?userId=': "SELECT * FROM orders o WHERE o.user_id = 42 ORDER BY o.created_at DESC, o.id DESC LIMIT 20 OFFSET 0",
  'sweeper: overdue unpaid orders': "SELECT o.id FROM orders o WHERE o.status = 'PENDING_PAYMENT' AND o.pay_deadline < '2026-11-20' ORDER BY o.pay_deadline ASC LIMIT 100",
  'GET /products?category=': "SELECT * FROM products p WHERE p.on_shelf = 1 AND p.category = 'c3' ORDER BY p.id DESC LIMIT 20",
  'GET /products': "SELECT * FROM products p WHERE p.on_shelf = 1 ORDER BY p.id DESC LIMIT 20",
};
for (const [label, sql] of Object.entries(queries)) {
  const [rows] = await db.query(`EXPLAIN ${sql}`);
  console.log(`### ${label}\n\n\`\`\`sql\n${sql}\n\`\`\`\n\n| id | select_type | table | type | possible_keys | key | key_len | ref | rows | Extra |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
  for (const r of rows) console.log(`| ${r.id} | ${r.select_type} | ${r.table} | ${r.type} | ${r.possible_keys ?? ''} | ${r.key ?? ''} | ${r.key_len ?? ''} | ${r.ref ?? ''} | ${r.rows} | ${r.Extra ?? ''} |`);
  console.log('');
}
await db.end();
await admin.query(`DROP DATABASE ${name}`);
await admin.end();
