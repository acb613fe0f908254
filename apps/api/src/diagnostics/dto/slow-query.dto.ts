import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';

export class SlowQueryDto {
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(60_000)
  ms: number;
}
