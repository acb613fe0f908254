import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class CacheItemQueryDto {
  @IsOptional()
  @Type(() => Number)
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
