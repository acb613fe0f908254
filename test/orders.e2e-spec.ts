import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { RunningApp } from './support/app-harness';
import { productionEnv } from './support/environment';
import { type ApiCallOptions, callApi } from './support/signing';
import { useTestDatabase } from './support/test-database';
import { type SignedIn, useWechatEmulator } from './support/wechat-emulator';

interface OrderBody {
  id: number;
  orderNo: string;
  userId: number;
  status: string;
  totalFen: number;
  items: Array<{ skuId: number; quantity: number; unitPriceFen: number }>;
}

interface ProductBody {
  id: number;
  name: string;
  onShelf: boolean;
  minPriceFen: number;
  skus: Array<{ id: number; name: string; priceFen: number; stock: number }>;
}

/** Catalogue and orders: the built app against MariaDB, Redis and the WeChat emulator (sign-in). */
describe('catalogue and orders (MariaDB + Redis)', () => {
  const db = useTestDatabase();
  const wechat = useWechatEmulator();
  let app: RunningApp;
  let env: Record<string, string | undefined>;
  let adminToken: string;

  /** `session`: signed in as that user, the request signed (create, pay and cancel are @Signed()). */
  const call = <T = unknown>(method: string, path: string, options: ApiCallOptions = {}) => callApi<T>(app.baseUrl, method, path, options);
  const placeOrder = (session: SignedIn, items: unknown, key = randomBytes(8).toString('hex'), extra: Record<string, unknown> = {}) =>
    call<OrderBody>('POST', '/orders', { body: { items, ...extra }, session, headers: { 'idempotency-key': key } });
  /** A product straight in the database (the orders tests do not need the dashboard). */
  const insertProduct = async (stock: number, priceFen = 1999, onShelf = true): Promise<{ productId: number; skuId: number }> => {
    const name = `p-${randomBytes(4).toString('hex')}`;
    await db.query('INSERT INTO products (name, category, on_shelf) VALUES (?, ?, ?)', [name, 'test', onShelf ? 1 : 0]);
    const [{ id: productId }] = await db.query<{ id: number }>('SELECT id FROM products WHERE name = ?', [name]);
    await db.query('INSERT INTO skus (product_id, name, price_fen, stock) VALUES (?, ?, ?, ?)', [productId, 'std', priceFen, stock]);
    const [{ id: skuId }] = await db.query<{ id: number }>('SELECT id FROM skus WHERE product_id = ?', [productId]);
    return { productId, skuId };
  };
  const stockOf = async (skuId: number) => (await db.query<{ stock: number }>('SELECT stock FROM skus WHERE id = ?', [skuId]))[0].stock;

  beforeAll(async () => {
    env = productionEnv(db.name, {
      ...wechat.env,
      AUTH_KEY_PREFIX: `e2e:orders:${randomBytes(4).toString('hex')}:`,
      RATE_LIMIT_KEY_PREFIX: `e2e:rl:orders:${randomBytes(4).toString('hex')}:`,
      // the concurrency tests send hundreds of requests from a few users at once
      RATE_LIMIT_ENABLED: 'false',
      DB_POOL_SIZE: '20',
      JOBS_PREFIX: `e2e-orders-${randomBytes(4).toString('hex')}`,
    });
    app = await db.startApp(env);
    const created = spawnSync(process.execPath, [resolve('dist/apps/api/src/cli/admin-create.js')], {
      env: { ...process.env, ...env, NODE_ENV: 'test', ADMIN_USERNAME: 'catalogue-admin', ADMIN_PASSWORD: 'correct horse battery', ADMIN_ROLE: 'admin' },
      encoding: 'utf8',
    });
    expect(created.status).toBe(0);
    const login = await call<{ accessToken: string }>('POST', '/auth/admin/login', { body: { username: 'catalogue-admin', password: 'correct horse battery' } });
    adminToken = (login.body.data as { accessToken: string }).accessToken;
  });

  describe('catalogue', () => {
    it('lets an admin create, change and shelve products; the public reads follow every change; every write is audited', async () => {
      const created = await call<ProductBody>('POST', '/admin/products', {
        token: adminToken,
        body: { name: '手冲咖啡', category: 'coffee', imageUrl: 'https://example.com/a.jpg', onShelf: true, skus: [{ name: '250 g', priceFen: 6800, stock: 5 }] },
      });
      expect(created.status).toBe(201);
      const product = created.body.data as ProductBody;
      expect(product).toMatchObject({ name: '手冲咖啡', onShelf: true, minPriceFen: 6800, skus: [{ name: '250 g', priceFen: 6800, stock: 5 }] });

      // public detail is cached; each change below must show at once (invalidated, not expired)
      expect((await call<ProductBody>('GET', `/products/${product.id}`)).body.data).toMatchObject({ name: '手冲咖啡' });
      expect((await call('PATCH', `/admin/products/${product.id}`, { token: adminToken, body: { name: 'Pour-over' } })).status).toBe(200);
      expect((await call<ProductBody>('GET', `/products/${product.id}`)).body.data).toMatchObject({ name: 'Pour-over' });

      const skuId = product.skus[0].id;
      expect((await call('PATCH', `/admin/products/${product.id}/skus/${skuId}`, { token: adminToken, body: { priceFen: 7200 } })).status).toBe(200);
      const adjusted = await call<ProductBody>('POST', `/admin/products/${product.id}/skus/${skuId}/stock`, { token: adminToken, body: { delta: 10, reason: 'restock' } });
      expect(adjusted.body.data?.skus[0]).toMatchObject({ priceFen: 7200, stock: 15 });
      expect((await call<ProductBody>('GET', `/products/${product.id}`)).body.data?.skus[0]).toMatchObject({ priceFen: 7200, stock: 15 });
      const negative = await call('POST', `/admin/products/${product.id}/skus/${skuId}/stock`, { token: adminToken, body: { delta: -16 } });
      expect([negative.status, negative.body.code]).toEqual([409, 4102]);
      // prices are integer fen: a float is refused
      expect((await call('PATCH', `/admin/products/${product.id}/skus/${skuId}`, { token: adminToken, body: { priceFen: 19.99 } })).status).toBe(400);

      // off the shelf: gone from the public list and detail at once, still in the dashboard
      expect((await call('PATCH', `/admin/products/${product.id}`, { token: adminToken, body: { onShelf: false } })).status).toBe(200);
      expect((await call('GET', `/products/${product.id}`)).status).toBe(404);
      const list = await call<{ items: ProductBody[] }>('GET', '/products?category=coffee');
      expect(list.body.data?.items.map((item) => item.id)).not.toContain(product.id);
      expect((await call<ProductBody>('GET', `/admin/products/${product.id}`, { token: adminToken })).body.data).toMatchObject({ onShelf: false });

      const audit = await db.query<{ action: string }>("SELECT action FROM audit_logs WHERE target_type IN ('product', 'sku') ORDER BY id");
      expect(audit.map((row) => row.action)).toEqual(['product.create', 'product.update', 'product.sku.update', 'product.stock.adjust', 'product.shelf']);
      // mini-program users cannot write the catalogue
      const user = await wechat.signIn(app);
      expect((await call('POST', '/admin/products', { token: user.accessToken, body: {} })).status).toBe(403);
    });

    it('lists on-shelf products by category, paged; a missing id is 404 (and cached as missing)', async () => {
      const shelved = await insertProduct(3);
      await insertProduct(3, 100, false);
      const page = await call<{ items: ProductBody[]; total: number }>('GET', '/products?category=test&pageSize=50');
      expect(page.status).toBe(200);
      expect(page.body.data?.items.every((item) => item.onShelf)).toBe(true);
      expect(page.body.data?.items.map((item) => item.id)).toContain(shelved.productId);
      expect((await call('GET', '/products/999999')).status).toBe(404);
      expect((await call('GET', '/products/999999')).body).toMatchObject({ code: 4100 });
    });

    it('refuses malformed catalogue input with 400 and changes nothing: null fields, a list inside the SKU list, loose ids, deep pages', async () => {
      const { productId, skuId } = await insertProduct(5);
      const before = await call<ProductBody>('GET', `/admin/products/${productId}`, { token: adminToken });
      for (const field of ['name', 'description', 'category', 'imageUrl', 'onShelf']) {
        const answer = await call('PATCH', `/admin/products/${productId}`, { token: adminToken, body: { [field]: null } });
        expect([field, answer.status, answer.body.code]).toEqual([field, 400, 1001]);
      }
      for (const field of ['name', 'priceFen']) {
        const answer = await call('PATCH', `/admin/products/${productId}/skus/${skuId}`, { token: adminToken, body: { [field]: null } });
        expect([field, answer.status, answer.body.code]).toEqual([field, 400, 1001]);
      }
      const nullBody = await call('PATCH', `/admin/products/${productId}`, { token: adminToken, body: null });
      expect([nullBody.status, nullBody.body.code]).toEqual([400, 1001]);
      expect((await call<ProductBody>('GET', `/admin/products/${productId}`, { token: adminToken })).body.data).toEqual(before.body.data);

      const productsBefore = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM products');
      for (const skus of [[[]], ['x'], [null]]) {
        const answer = await call('POST', '/admin/products', { token: adminToken, body: { name: 'p', category: 'test', skus } });
        expect([JSON.stringify(skus), answer.status, answer.body.code]).toEqual([JSON.stringify(skus), 400, 1001]);
      }
      expect(await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM products')).toEqual(productsBefore);

      for (const id of ['%201', '+1', `0${productId}`, '1e3', '0', '-1', '99999999999999999999']) {
        const answer = await call('DELETE', `/admin/products/${id}`, { token: adminToken });
        expect([id, answer.status, answer.body.code]).toEqual([id, 400, 1015]);
        expect((await call('GET', `/products/${id}`)).status).toBe(400);
      }
      expect((await call('GET', `/products/${productId}`)).status).toBe(200);

      for (const path of ['/products?page=1e3', '/products?page=2&page=3', '/admin/orders?userId=99999999999999999999']) {
        const answer = await call('GET', path, { token: adminToken });
        expect([path, answer.status, answer.body.code]).toEqual([path, 400, 1001]);
      }
      for (const path of ['/products?page=101&pageSize=100', '/admin/products?page=101&pageSize=100', '/admin/orders?page=501&pageSize=20']) {
        const answer = await call('GET', path, { token: adminToken });
        expect([path, answer.status, answer.body.code]).toEqual([path, 400, 2205]);
      }
      expect((await call('GET', '/products?page=100&pageSize=100')).status).toBe(200);
    });
  });

  describe('orders', () => {
    it('sells exactly the stock to 200 concurrent buyers: 20 orders, stock 0, every other answer a clean 409', async () => {
      const { skuId } = await insertProduct(20, 990);
      const buyers = await Promise.all(Array.from({ length: 10 }, () => wechat.signIn(app)));
      const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => placeOrder(buyers[i % buyers.length], [{ skuId, quantity: 1 }])));
      const statuses = answers.map((answer) => answer.status);
      expect(statuses.filter((status) => status === 201)).toHaveLength(20);
      expect(answers.filter((answer) => answer.status === 409 && answer.body.code === 4001)).toHaveLength(180);
      expect(await stockOf(skuId)).toBe(0);
      const [{ orders }] = await db.query<{ orders: number }>(
        'SELECT COUNT(DISTINCT o.id) AS orders FROM orders o JOIN order_items i ON i.order_id = o.id WHERE i.sku_id = ?',
        [skuId],
      );
      expect(Number(orders)).toBe(20);
      const ids = answers.filter((answer) => answer.status === 201).map((answer) => (answer.body.data as OrderBody).id);
      const [{ events }] = await db.query<{ events: number }>(
        `SELECT COUNT(*) AS events FROM order_events WHERE to_status = 'PENDING_PAYMENT' AND order_id IN (${ids.join(',')})`,
      );
      expect(Number(events)).toBe(20);
      const created = await db.query<{ payload: string }>("SELECT payload FROM outbox_events WHERE name = 'order.created'");
      expect(created.map((row) => (JSON.parse(row.payload) as { orderId: number }).orderId)).toEqual(expect.arrayContaining(ids));
    });

    it('creates one order for one Idempotency-Key sent 10 times at once', async () => {
      const { skuId } = await insertProduct(50);
      const buyer = await wechat.signIn(app);
      const key = `same-${randomBytes(6).toString('hex')}`;
      const answers = await Promise.all(Array.from({ length: 10 }, () => placeOrder(buyer, [{ skuId, quantity: 2 }], key)));
      expect(answers.filter((answer) => answer.status === 201).length).toBeGreaterThanOrEqual(1);
      expect(answers.every((answer) => answer.status === 201 || (answer.status === 409 && answer.body.code === 7020))).toBe(true);
      const orderIds = new Set(answers.filter((answer) => answer.status === 201).map((answer) => (answer.body.data as OrderBody).id));
      expect(orderIds.size).toBe(1);
      expect(await db.query('SELECT id FROM orders WHERE user_id = ?', [buyer.user.id])).toHaveLength(1);
      expect(await stockOf(skuId)).toBe(48);
      // later: the stored answer, not a second order
      const replay = await placeOrder(buyer, [{ skuId, quantity: 2 }], key);
      expect([replay.status, (replay.body.data as OrderBody).id]).toEqual([201, [...orderIds][0]]);
      expect(await stockOf(skuId)).toBe(48);
    });

    it('prices on the server: a price in the body is 400, the key is required, totals come from the catalogue', async () => {
      const { skuId } = await insertProduct(10, 1234);
      const buyer = await wechat.signIn(app);
      const withPrice = await placeOrder(buyer, [{ skuId, quantity: 1, priceFen: 1 }]);
      expect([withPrice.status, withPrice.body.code]).toEqual([400, 1001]);
      expect((await placeOrder(buyer, [{ skuId, quantity: 1 }], undefined, { totalFen: 1 })).status).toBe(400);
      const noKey = await call('POST', '/orders', { session: buyer, body: { items: [{ skuId, quantity: 1 }] } });
      const unsigned = await call('POST', '/orders', { token: buyer.accessToken, body: { items: [{ skuId, quantity: 1 }] }, headers: { 'idempotency-key': 'unsigned-1' } });
      expect([unsigned.status, unsigned.body.code]).toEqual([401, 2020]);
      expect([noKey.status, noKey.body.code]).toEqual([400, 7022]);
      const placed = await placeOrder(buyer, [{ skuId, quantity: 2 }, { skuId, quantity: 1 }], undefined, { remark: '不要辣' });
      expect(placed.status).toBe(201);
      expect(placed.body.data).toMatchObject({ status: 'PENDING_PAYMENT', totalFen: 3702, items: [{ skuId, quantity: 3, unitPriceFen: 1234 }] });
      expect((placed.body.data as OrderBody).orderNo).toMatch(/^[A-Za-z0-9_-]{6,32}$/);
      const offShelf = await insertProduct(10, 100, false);
      const refused = await placeOrder(buyer, [{ skuId: offShelf.skuId, quantity: 1 }]);
      expect([refused.status, refused.body.code]).toEqual([409, 4004]);
    });

    it('hides one user’s order from another (404 to read and to cancel); the owner cancels once and the stock comes back once', async () => {
      const { skuId } = await insertProduct(5);
      const alice = await wechat.signIn(app);
      const bob = await wechat.signIn(app);
      const order = (await placeOrder(alice, [{ skuId, quantity: 3 }])).body.data as OrderBody;
      expect(await stockOf(skuId)).toBe(2);

      const peek = await call('GET', `/orders/${order.id}`, { token: bob.accessToken });
      expect([peek.status, peek.body.code, peek.body.data]).toEqual([404, 4002, null]);
      const bobCancel = await call('POST', `/orders/${order.id}/cancel`, { session: bob });
      expect([bobCancel.status, bobCancel.body.code]).toEqual([404, 4002]);
      expect((await call('POST', `/orders/${order.id}/pay`, { session: bob })).status).toBe(404);

      // two cancels at once: one wins, the stock comes back once
      const cancels = await Promise.all([1, 2, 3].map(() => call<OrderBody>('POST', `/orders/${order.id}/cancel`, { session: alice })));
      expect(cancels.map((answer) => answer.status).sort()).toEqual([200, 409, 409]);
      expect(await stockOf(skuId)).toBe(5);
      const events = await db.query<{ from_status: string | null; to_status: string; actor: string }>(
        'SELECT from_status, to_status, actor FROM order_events WHERE order_id = ? ORDER BY id',
        [order.id],
      );
      expect(events).toEqual([
        { from_status: null, to_status: 'PENDING_PAYMENT', actor: `user:${alice.user.id}` },
        { from_status: 'PENDING_PAYMENT', to_status: 'CANCELLED', actor: `user:${alice.user.id}` },
      ]);
      expect((await call<OrderBody>('GET', `/orders/${order.id}`, { token: alice.accessToken })).body.data).toMatchObject({ status: 'CANCELLED' });
      const outbox = await db.query<{ name: string }>("SELECT name FROM outbox_events WHERE name = 'order.cancelled' AND payload LIKE ?", [`%"orderId":${order.id},%`]);
      expect(outbox).toHaveLength(1);
    });

    it('never hides a new order behind a "missing" cached for its id before it existed', async () => {
      const { skuId } = await insertProduct(5);
      const [owner, prober] = [await wechat.signIn(app), await wechat.signIn(app)];
      // the id the next order gets (InnoDB's counter: rolled-back orders of earlier tests used ids too)
      const [{ next }] = await db.query<{ next: number }>(
        "SELECT AUTO_INCREMENT AS next FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'orders'",
      );
      const probe = await call('GET', `/orders/${next}`, { token: prober.accessToken });
      expect([probe.status, probe.body.code]).toEqual([404, 4002]);
      const order = (await placeOrder(owner, [{ skuId, quantity: 1 }])).body.data as OrderBody;
      expect(order.id).toBe(Number(next));
      const read = await call<OrderBody>('GET', `/orders/${order.id}`, { token: owner.accessToken });
      expect([read.status, read.body.data?.status]).toEqual([200, 'PENDING_PAYMENT']);
    });

    it('lists my orders newest first with a cursor, filtered by status', async () => {
      const { skuId } = await insertProduct(20);
      const buyer = await wechat.signIn(app);
      const placed: number[] = [];
      for (let i = 0; i < 5; i += 1) placed.push(((await placeOrder(buyer, [{ skuId, quantity: 1 }])).body.data as OrderBody).id);
      await call('POST', `/orders/${placed[1]}/cancel`, { session: buyer });

      const first = await call<{ items: OrderBody[]; nextCursor: string | null }>('GET', '/orders?limit=2', { token: buyer.accessToken });
      expect(first.body.data?.items.map((item) => item.id)).toEqual([placed[4], placed[3]]);
      const second = await call<{ items: OrderBody[]; nextCursor: string | null }>(`GET`, `/orders?limit=2&cursor=${first.body.data?.nextCursor}`, { token: buyer.accessToken });
      expect(second.body.data?.items.map((item) => item.id)).toEqual([placed[2], placed[1]]);
      const third = await call<{ items: OrderBody[]; nextCursor: string | null }>(`GET`, `/orders?limit=2&cursor=${second.body.data?.nextCursor}`, { token: buyer.accessToken });
      expect(third.body.data).toMatchObject({ items: [{ id: placed[0] }], nextCursor: null });
      const cancelled = await call<{ items: OrderBody[] }>('GET', '/orders?status=CANCELLED', { token: buyer.accessToken });
      expect(cancelled.body.data?.items.map((item) => item.id)).toEqual([placed[1]]);
      expect((await call('GET', '/orders?cursor=bm9wZQ', { token: buyer.accessToken })).body.code).toBe(4005);
      // another buyer sees none of them
      const other = await wechat.signIn(app);
      expect((await call<{ items: OrderBody[] }>('GET', '/orders', { token: other.accessToken })).body.data?.items).toEqual([]);
    });

    it('lets the dashboard list orders by status, user and time, and refuses to ship an unpaid order', async () => {
      const { skuId } = await insertProduct(5);
      const buyer = await wechat.signIn(app);
      const order = (await placeOrder(buyer, [{ skuId, quantity: 1 }])).body.data as OrderBody;
      const listed = await call<{ items: OrderBody[]; total: number }>('GET', `/admin/orders?userId=${buyer.user.id}&status=PENDING_PAYMENT&from=2020-01-01T00:00:00Z`, { token: adminToken });
      expect(listed.body.data).toMatchObject({ total: 1, items: [{ id: order.id }] });
      const ship = await call('POST', `/admin/orders/${order.id}/ship`, { token: adminToken, body: { trackingNo: 'SF123' } });
      expect([ship.status, ship.body.code]).toEqual([409, 4003]);
      expect((await call('GET', '/admin/orders', { token: buyer.accessToken })).status).toBe(403);
    });
  });
});
