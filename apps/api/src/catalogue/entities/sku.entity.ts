import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * One buyable variant of a product. `priceFen` is integer fen (never a float); `stock` only ever
 * changes through a conditional UPDATE (`… WHERE stock >= ?`), so it never goes negative.
 */
@Entity({ name: 'skus' })
export class Sku {
  @PrimaryGeneratedColumn()
  id: number;

  @Index('idx_skus_product')
  @Column({ name: 'product_id', type: 'int' })
  productId: number;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  @Column({ name: 'price_fen', type: 'int' })
  priceFen: number;

  @Column({ type: 'int', default: 0 })
  stock: number;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt: Date;
}
