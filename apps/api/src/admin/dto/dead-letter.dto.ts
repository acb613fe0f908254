import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsCleanText } from '@app/http';

export class DeadLetterQueryDto {
  @ApiPropertyOptional({ description: 'Job type, e.g. order.cancel-unpaid, or event.<consumer> for event deliveries' })
  @IsOptional()
  @Matches(/^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$/)
  @MaxLength(100)
  @IsCleanText()
  type?: string;

  // each page merges the newest page×pageSize of every queue: deep pages are for filtering by type
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  page?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  pageSize?: number;
}

export class DeadLetterIdParams {
  @ApiProperty({ description: '<job type>:<job id>, as the list returns it', example: 'order.cancel-unpaid:order-42-timeout' })
  @Matches(/^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*:[A-Za-z0-9_.:-]+$/)
  @MaxLength(200)
  @IsCleanText()
  id: string;
}
