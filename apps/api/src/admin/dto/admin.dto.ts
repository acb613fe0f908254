import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsDate, IsIn, IsInt, IsNotEmpty, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { IntegerFromQuery, IsCleanText, MAX_ID, Omittable, PageQueryDto } from '@app/http';

export class AdminLoginDto {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  @IsCleanText()
  username: string;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  @IsCleanText()
  password: string;
}

export class AdminUserQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Part of the nickname, or the last 4 digits of the phone number' })
  @Omittable()
  @IsString()
  @MaxLength(64)
  @IsCleanText()
  search?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'] })
  @Omittable()
  @IsIn(['true', 'false'])
  disabled?: 'true' | 'false';
}

export class AdminUpdateUserDto {
  @ApiProperty({ description: 'true disables the account and ends its sessions at once' })
  @IsBoolean()
  disabled: boolean;
}

export class AuditLogQueryDto extends PageQueryDto {
  @ApiPropertyOptional()
  @Omittable()
  @Matches(/^[a-z_.]{1,64}$/)
  @IsCleanText()
  action?: string;

  @ApiPropertyOptional()
  @Omittable()
  @IntegerFromQuery()
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  actorId?: number;

  @ApiPropertyOptional()
  @Omittable()
  @Matches(/^[a-z_]{1,32}$/)
  @IsCleanText()
  targetType?: string;

  @ApiPropertyOptional()
  @Omittable()
  @IsString()
  @MaxLength(64)
  @IsCleanText()
  targetId?: string;

  @ApiPropertyOptional({ description: 'ISO time, inclusive' })
  @Omittable()
  @Type(() => Date)
  @IsDate()
  from?: Date;

  @ApiPropertyOptional({ description: 'ISO time, exclusive' })
  @Omittable()
  @Type(() => Date)
  @IsDate()
  to?: Date;
}
