import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { Omittable } from './omittable';
import { IntegerFromQuery } from './validation';

/** `?page=&pageSize=` of every offset-paged list (dashboard lists, the public catalogue): extend it with the list's filters. */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, default: 1, description: 'dashboard lists: page x pageSize at most 10,000 (deeper: 400, code 2205)' })
  @Omittable()
  @IntegerFromQuery()
  @IsInt()
  @Min(1)
  @Max(100_000)
  page?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @Omittable()
  @IntegerFromQuery()
  @IsInt()
  @Min(1)
  @Max(100)
  pageSize?: number;
}
