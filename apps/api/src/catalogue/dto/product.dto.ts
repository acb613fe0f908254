import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  NotEquals,
  ValidateNested,
} from 'class-validator';
import { IsCleanText, Omittable, PageQueryDto } from '@app/http';

const MAX_PRICE_FEN = 100_000_000; // 1,000,000 yuan: far above any mini-program product
const MAX_STOCK = 10_000_000;
const CATEGORY = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export class ProductQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only this category (a-z 0-9 _ -)' })
  @Omittable()
  @IsString()
  @Matches(CATEGORY)
  @IsCleanText()
  category?: string;
}

export class AdminProductQueryDto extends ProductQueryDto {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Filter by on/off shelf (default: both)' })
  @Omittable()
  @IsString()
  @Matches(/^(true|false)$/)
  @IsCleanText()
  onShelf?: 'true' | 'false';
}

export class SkuInputDto {
  @ApiProperty({ maxLength: 64, example: '500 g' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  @IsCleanText()
  name: string;

  @ApiProperty({ description: 'Price in fen (integer; 1999 = ¥19.99)', minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(MAX_PRICE_FEN)
  priceFen: number;

  @ApiProperty({ minimum: 0 })
  @IsInt()
  @Min(0)
  @Max(MAX_STOCK)
  stock: number;
}

export class CreateProductDto {
  @ApiProperty({ maxLength: 128 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  @IsCleanText()
  name: string;

  @ApiPropertyOptional({ maxLength: 2000 })
  @Omittable()
  @IsString()
  @MaxLength(2000)
  @IsCleanText({ allowNewlines: true })
  description?: string;

  @ApiProperty({ description: 'a-z 0-9 _ -, up to 64' })
  @IsString()
  @Matches(CATEGORY)
  @IsCleanText()
  category: string;

  @ApiPropertyOptional({ description: 'https URL of the main image' })
  @Omittable()
  @IsString()
  @MaxLength(512)
  @IsUrl({ protocols: ['https'], require_protocol: true })
  @IsCleanText()
  imageUrl?: string;

  @ApiPropertyOptional({ default: false })
  @Omittable()
  @IsBoolean()
  onShelf?: boolean;

  @ApiProperty({ type: [SkuInputDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  // an array or a string in the list would be looked into, not refused, without this
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => SkuInputDto)
  skus: SkuInputDto[];
}

export class UpdateProductDto {
  @ApiPropertyOptional({ maxLength: 128 })
  @Omittable()
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  @IsCleanText()
  name?: string;

  @ApiPropertyOptional({ maxLength: 2000 })
  @Omittable()
  @IsString()
  @MaxLength(2000)
  @IsCleanText({ allowNewlines: true })
  description?: string;

  @ApiPropertyOptional()
  @Omittable()
  @IsString()
  @Matches(CATEGORY)
  @IsCleanText()
  category?: string;

  @ApiPropertyOptional()
  @Omittable()
  @IsString()
  @MaxLength(512)
  @IsUrl({ protocols: ['https'], require_protocol: true })
  @IsCleanText()
  imageUrl?: string;

  @ApiPropertyOptional()
  @Omittable()
  @IsBoolean()
  onShelf?: boolean;
}

export class UpdateSkuDto {
  @ApiPropertyOptional({ maxLength: 64 })
  @Omittable()
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  @IsCleanText()
  name?: string;

  @ApiPropertyOptional({ description: 'Price in fen (integer)' })
  @Omittable()
  @IsInt()
  @Min(1)
  @Max(MAX_PRICE_FEN)
  priceFen?: number;
}

export class StockAdjustmentDto {
  @ApiProperty({ description: 'Added to the stock (negative removes); the stock never goes below 0' })
  @IsInt()
  @NotEquals(0)
  @Min(-MAX_STOCK)
  @Max(MAX_STOCK)
  delta: number;

  @ApiPropertyOptional({ maxLength: 80, description: 'Why (kept in the audit log)' })
  @Omittable()
  @IsString()
  @MaxLength(80)
  @IsCleanText()
  reason?: string;
}
