import { DIRECTORY_PROVIDERS } from '@scimbridge/contracts';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

export class CreateOrganizationDto {
  @Transform(trim)
  @IsString()
  @Length(1, 200)
  name!: string;
}

export class CreateDirectoryDto {
  @IsIn(DIRECTORY_PROVIDERS, { message: `provider must be one of ${DIRECTORY_PROVIDERS.join(', ')}` })
  provider!: (typeof DIRECTORY_PROVIDERS)[number];

  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, 200)
  name?: string;

  /** Lifetime of the first token in days; no expiry when absent. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  tokenExpiresInDays?: number;
}

export class IssueTokenDto {
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  expiresInDays?: number;
}

export class RequestLogQueryDto {
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  /** Entries older than this entry id (the `id` of the last entry of the previous page). */
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,18}$/, { message: 'before must be an entry id' })
  before?: string;
}
