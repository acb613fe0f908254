import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A product on the catalogue: what a buyer browses. Prices and stock live on its SKUs. */
@Entity({ name: 'products' })
// the public list: on-shelf products, optionally of one category, newest first
@Index('idx_products_shelf_category', ['onShelf', 'category', 'id'])
// the same without a category: newest on-shelf products without a filesort
@Index('idx_products_shelf', ['onShelf', 'id'])
export class Product {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 128 })
  name: string;

  @Column({ type: 'varchar', length: 2000, default: '' })
  description: string;

  @Column({ type: 'varchar', length: 64 })
  category: string;

  /** An https URL until uploads exist (then an upload id). */
  @Column({ name: 'image_url', type: 'varchar', length: 512, default: '' })
  imageUrl: string;

  @Column({ name: 'on_shelf', type: 'boolean', default: false })
  onShelf: boolean;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt: Date;
}
