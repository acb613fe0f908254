import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Matches, MaxLength } from 'class-validator';
import { IsCleanText, Omittable, PageQueryDto } from '@app/http';

// each page merges the newest page×pageSize of every queue: the page ceiling (admin-paging.ts) bounds it
export class DeadLetterQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Job type, e.g. order.cancel-unpaid, or event.<consumer> for event deliveries' })
  @Omittable()
  @Matches(/^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$/)
  @MaxLength(100)
  @IsCleanText()
  type?: string;
}

export class DeadLetterIdParams {
  @ApiProperty({ description: '<job type>:<job id>, as the list returns it', example: 'order.cancel-unpaid:order-42-timeout' })
  @Matches(/^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*:[A-Za-z0-9_.:-]+$/)
  @MaxLength(200)
  @IsCleanText()
  id: string;
}
