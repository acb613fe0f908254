import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class BindPhoneDto {
  @ApiProperty({ description: 'The code from the getPhoneNumber button (single use)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  code: string;
}
