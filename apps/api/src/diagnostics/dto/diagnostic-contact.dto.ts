import { IsString, Matches } from 'class-validator';
import { IsCleanText } from '@app/http';

export class DiagnosticContactDto {
  @IsString()
  @Matches(/^\+?\d{5,20}$/)
  @IsCleanText()
  phone: string;
}
