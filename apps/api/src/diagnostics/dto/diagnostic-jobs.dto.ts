import { IsInt, Matches, Max, Min } from 'class-validator';
import { IntegerFromQuery, IsCleanText, Omittable } from '@app/http';
import { DiagnosticRecordPayload } from '../diagnostic-work';

export class EnqueueDiagnosticJobDto extends DiagnosticRecordPayload {
  @Omittable()
  @Matches(/^(?!\d+$)[A-Za-z0-9_.-]{1,64}$/)
  @IsCleanText()
  id?: string;

  @Omittable()
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  delayMs?: number;

  /** Epoch milliseconds; wins over delayMs. */
  @Omittable()
  @IsInt()
  @Min(0)
  runAt?: number;
}

export class CountDto {
  @IsInt()
  @Min(1)
  @Max(100_000)
  count!: number;
}

export class JobRunsQueryDto {
  @Matches(/^[\w.-]{1,64}$/)
  @IsCleanText()
  key!: string;
}

export class PlaceDiagnosticOrderDto {
  @Matches(/^[\w.-]{1,64}$/)
  @IsCleanText()
  orderRef!: string;
}

export class PlaceDiagnosticOrdersDto {
  @Matches(/^[\w.-]{1,40}$/)
  @IsCleanText()
  prefix!: string;

  @IsInt()
  @Min(1)
  @Max(100_000)
  count!: number;

  /** Orders (and events) per transaction. */
  @Omittable()
  @IntegerFromQuery()
  @IsInt()
  @Min(1)
  @Max(1_000)
  perTransaction?: number;
}
