import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { IsCleanText } from '@app/http';

export class BindPhoneDto {
  @ApiProperty({ description: 'The code from the getPhoneNumber button (single use)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  @IsCleanText()
  code: string;
}
