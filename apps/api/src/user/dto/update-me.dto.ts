import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, IsUrl, MaxLength, ValidateBy, type ValidationOptions } from 'class-validator';
import { IsCleanText, Omittable } from '@app/http';

/** Length in characters as people count them: an emoji or a Chinese character is one. */
function CodePointLength(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'codePointLength',
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string' || value.trim() === '') return false;
          const length = [...value].length;
          return length >= min && length <= max;
        },
        defaultMessage: () => `$property must be ${min} to ${max} characters and not blank`,
      },
    },
    options,
  );
}

/** What a user may change about themselves; any other field (role, openid, id) is a 400. */
export class UpdateMeDto {
  @ApiPropertyOptional({ description: '1-32 characters; emoji and Chinese count as one each', example: '小程序用户😀' })
  @Omittable()
  @IsString()
  @CodePointLength(1, 32)
  @IsCleanText()
  nickname?: string;

  @ApiPropertyOptional({ description: 'https URL, at most 512 characters', example: 'https://thirdwx.qlogo.cn/avatar.png' })
  @Omittable()
  @IsString()
  @MaxLength(512)
  @IsUrl({ protocols: ['https'], require_protocol: true }, { message: 'avatarUrl must be an https URL' })
  @IsCleanText()
  avatarUrl?: string;
}
