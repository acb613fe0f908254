import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsDate,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { IntegerFromQuery, IsCleanText, MAX_ID, Omittable, PageQueryDto } from '@app/http';
import { ORDER_STATUSES, type OrderStatus } from '../order-state-machine';

/** One line: which SKU and how many. There is no price field: prices are the catalogue's (a price sent is refused, 400). */
export class OrderItemInputDto {
  @ApiProperty({ minimum: 1 })
  @IsInt()
  @Min(1)
  skuId: number;

  @ApiProperty({ minimum: 1, maximum: 99 })
  @IsInt()
  @Min(1)
  @Max(99)
  quantity: number;
}

export class CreateOrderDto {
  @ApiProperty({ type: [OrderItemInputDto], description: '1-20 lines; the same SKU twice is added up' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  // an array or a string in the list would be looked into, not refused, without this
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => OrderItemInputDto)
  items: OrderItemInputDto[];

  @ApiPropertyOptional({ maxLength: 200 })
  @Omittable()
  @IsString()
  @MaxLength(200)
  @IsCleanText({ allowNewlines: true })
  remark?: string;
}

export class OrderListQueryDto {
  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @Omittable()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/)
  @IsCleanText()
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 50, default: 20 })
  @Omittable()
  @IntegerFromQuery()
  @IsInt()
  @Min(1)
  @Max(50)
  limit?: number;

  @ApiPropertyOptional({ enum: ORDER_STATUSES })
  @Omittable()
  @IsIn(ORDER_STATUSES)
  status?: OrderStatus;
}

export class AdminOrderQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ORDER_STATUSES })
  @Omittable()
  @IsIn(ORDER_STATUSES)
  status?: OrderStatus;

  @ApiPropertyOptional()
  @Omittable()
  @IntegerFromQuery()
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  userId?: number;

  @ApiPropertyOptional({ description: 'ISO time, inclusive (created at)' })
  @Omittable()
  @Type(() => Date)
  @IsDate()
  from?: Date;

  @ApiPropertyOptional({ description: 'ISO time, exclusive (created at)' })
  @Omittable()
  @Type(() => Date)
  @IsDate()
  to?: Date;
}

export class ShipOrderDto {
  @ApiProperty({ maxLength: 64 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  @Matches(/^[A-Za-z0-9-]+$/)
  @IsCleanText()
  trackingNo: string;
}

export class RefundOrderDto {
  @ApiProperty({ description: 'Fen to refund (partial allowed; all refunds together never exceed what was paid)', minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  amount: number;

  @ApiPropertyOptional({ maxLength: 80 })
  @Omittable()
  @IsString()
  @MaxLength(80)
  @IsCleanText()
  reason?: string;
}
