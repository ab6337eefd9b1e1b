import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Length, Matches, MaxLength, ValidateIf, ValidateNested } from 'class-validator';

/** Role keys are what apps match on: short, no spaces, case-sensitive. */
export const ROLE_KEY = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;
export const ROLE_KEY_MESSAGE = 'must be 1–100 characters of letters, digits and _ . : - (starting with a letter or digit)';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

export class RoleDto {
  @IsString()
  @Matches(ROLE_KEY, { message: `key ${ROLE_KEY_MESSAGE}` })
  key!: string;

  @Transform(trim)
  @IsString()
  @Length(1, 200)
  displayName!: string;

  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @MaxLength(1000)
  description?: string | null;
}

export class PutRolesDto {
  @IsArray()
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => RoleDto)
  roles!: RoleDto[];
}
