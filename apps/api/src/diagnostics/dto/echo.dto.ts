import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsString, Length, Max, MaxLength, Min } from 'class-validator';
import { IsCleanText, Omittable } from '@app/http';

export class EchoDto {
  @ApiProperty({ minLength: 1, maxLength: 64 })
  @IsString()
  @Length(1, 64)
  @IsCleanText()
  name: string;

  @ApiPropertyOptional({ minimum: 0, maximum: 1000 })
  @Omittable()
  @IsInt()
  @Min(0)
  @Max(1000)
  quantity?: number;

  @ApiPropertyOptional({ maxLength: 500, description: 'multi-line text: line breaks and tabs allowed' })
  @Omittable()
  @IsString()
  @MaxLength(500)
  @IsCleanText({ allowNewlines: true })
  note?: string;
}
