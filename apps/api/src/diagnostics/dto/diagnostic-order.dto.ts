import { IsInt, IsString, Length, Max, Min } from 'class-validator';
import { IsCleanText } from '@app/http';

export class DiagnosticOrderDto {
  @IsString()
  @Length(1, 64)
  @IsCleanText()
  sku: string;

  @IsInt()
  @Min(1)
  @Max(100)
  quantity: number;
}
