import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';

/** PascalCase like every event type (the envelope schema's pattern); unknown future types are allowed. */
const EVENT_TYPE = /^[A-Z][A-Za-z0-9]{0,99}$/;

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

/** What create and change share: all optional (create adds the required url). */
class WebhookSettingsDto {
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @MaxLength(500)
  description?: string | null;

  /** Event types to deliver; empty or absent: all. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(EVENT_TYPE, { each: true, message: 'eventTypes must be event type names such as UserProvisioned' })
  eventTypes?: string[];

  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class CreateWebhookDto extends WebhookSettingsDto {
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  url!: string;
}

export class UpdateWebhookDto extends WebhookSettingsDto {
  // Absent: unchanged. null is not a URL (IsOptional alone would let it through).
  @ValidateIf((_, value) => value !== undefined)
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  url?: string;
}

const toInt = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);

export class DeliveryLogQueryDto {
  @IsOptional()
  @IsIn(['pending', 'succeeded', 'dead'])
  status?: 'pending' | 'succeeded' | 'dead';

  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

export class EventsQueryDto {
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  directoryId?: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  after?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}
