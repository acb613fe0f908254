import { IsString, Matches } from 'class-validator';

export class DiagnosticContactDto {
  @IsString()
  @Matches(/^\+?\d{5,20}$/)
  phone: string;
}
