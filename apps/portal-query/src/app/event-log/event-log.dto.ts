import { EVENT_TYPES, type EventType } from '@scimbridge/contracts';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { PositionQueryDto } from '../read-model/read-your-writes.service';

const commaList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.split(',').map((v) => v.trim()).filter((v) => v !== '') : Array.isArray(value) ? value.flatMap((v) => (typeof v === 'string' ? v.split(',') : [v])) : value;

export class EventLogQueryDto extends PositionQueryDto {
  /** Event types, comma-separated or repeated (`type=UserProvisioned,UserUpdated`). */
  @IsOptional()
  @Transform(commaList)
  @IsArray()
  @ArrayMaxSize(EVENT_TYPES.length)
  @IsIn(EVENT_TYPES, { each: true, message: `each type must be one of ${EVENT_TYPES.join(', ')}` })
  type?: EventType[];

  @IsOptional()
  @IsString()
  @MaxLength(2_000)
  cursor?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  /** Look up the SCIM request behind each event in the ingress's request log (default true). */
  @IsOptional()
  @IsIn(['true', 'false'])
  withRequests?: 'true' | 'false';
}
