import { IsInt, IsString, Length, Max, Min } from 'class-validator';

export class DiagnosticOrderDto {
  @IsString()
  @Length(1, 64)
  sku: string;

  @IsInt()
  @Min(1)
  @Max(100)
  quantity: number;
}
