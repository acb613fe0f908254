import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One line of an order: the SKU, its name and its price as they were when the order was placed. */
@Entity({ name: 'order_items' })
export class OrderItem {
  @PrimaryGeneratedColumn()
  id: number;

  @Index('idx_order_items_order')
  @Column({ name: 'order_id', type: 'int' })
  orderId: number;

  @Column({ name: 'product_id', type: 'int' })
  productId: number;

  @Column({ name: 'sku_id', type: 'int' })
  skuId: number;

  @Column({ name: 'product_name', type: 'varchar', length: 128 })
  productName: string;

  @Column({ name: 'sku_name', type: 'varchar', length: 64 })
  skuName: string;

  @Column({ name: 'unit_price_fen', type: 'int' })
  unitPriceFen: number;

  @Column({ type: 'int' })
  quantity: number;
}
