import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { IsCleanText, Omittable } from '@app/http';
import { MAX_PASSWORD_LENGTH, USERNAME_PATTERN } from '../account-rules';
import type { AdminRole } from '../entities/admin-account.entity';
import { MIN_PASSWORD_LENGTH } from '../password-hasher';

const ADMIN_ROLES: AdminRole[] = ['admin', 'operator'];

export class CreateAdminAccountDto {
  @ApiProperty({ description: '3-64 of a-z 0-9 _ . - (lower case)', pattern: USERNAME_PATTERN.source })
  @IsString()
  @Matches(USERNAME_PATTERN, { message: 'username must be 3-64 of a-z 0-9 _ . -' })
  @IsCleanText()
  username: string;

  @ApiProperty({ minLength: MIN_PASSWORD_LENGTH, maxLength: MAX_PASSWORD_LENGTH })
  @IsString()
  @MinLength(MIN_PASSWORD_LENGTH)
  @MaxLength(MAX_PASSWORD_LENGTH)
  @IsCleanText()
  password: string;

  @ApiProperty({ enum: ADMIN_ROLES, description: 'admin: read and write; operator: read-only' })
  @IsIn(ADMIN_ROLES)
  role: AdminRole;
}

export class UpdateAdminAccountDto {
  @ApiPropertyOptional({ enum: ADMIN_ROLES, description: 'Demoting ends the account\'s sessions at once' })
  @Omittable()
  @IsIn(ADMIN_ROLES)
  role?: AdminRole;

  @ApiPropertyOptional({ description: 'true disables the account and ends its sessions at once' })
  @Omittable()
  @IsBoolean()
  disabled?: boolean;
}

export class ChangeOwnPasswordDto {
  @ApiProperty()
  @IsString()
  @MaxLength(MAX_PASSWORD_LENGTH)
  @IsCleanText()
  currentPassword: string;

  @ApiProperty({ minLength: MIN_PASSWORD_LENGTH, maxLength: MAX_PASSWORD_LENGTH })
  @IsString()
  @MinLength(MIN_PASSWORD_LENGTH)
  @MaxLength(MAX_PASSWORD_LENGTH)
  @IsCleanText()
  newPassword: string;
}
