import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** `?page=&pageSize=` of every offset-paged list (dashboard lists, the public catalogue): extend it with the list's filters. */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, default: 1, description: 'dashboard lists: page x pageSize at most 10,000 (deeper: 400, code 2205)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  page?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  pageSize?: number;
}
