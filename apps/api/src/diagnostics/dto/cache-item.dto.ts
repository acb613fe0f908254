import { IsInt, Max, Min } from 'class-validator';
import { IntegerFromQuery, Omittable } from '@app/http';

export class CacheItemQueryDto {
  @Omittable()
  @IntegerFromQuery()
  @IsInt()
  @Min(0)
  @Max(5_000)
  loadMs?: number;
}

export class CacheItemVersionDto {
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  version: number;
}
