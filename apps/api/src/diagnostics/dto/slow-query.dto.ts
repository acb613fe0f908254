import { IsInt, Max, Min } from 'class-validator';
import { IntegerFromQuery } from '@app/http';

export class SlowQueryDto {
  @IntegerFromQuery()
  @IsInt()
  @Min(0)
  @Max(60_000)
  ms: number;
}
