import { EVENT_TYPES, type EventType } from '@scimbridge/contracts';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional } from 'class-validator';
import { PageQueryDto } from '../users-tab/users.dto';

const commaList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.split(',').map((v) => v.trim()).filter((v) => v !== '') : Array.isArray(value) ? value.flatMap((v) => (typeof v === 'string' ? v.split(',') : [v])) : value;

export class EventLogQueryDto extends PageQueryDto {
  /** Event types, comma-separated or repeated (`type=UserProvisioned,UserUpdated`). */
  @IsOptional()
  @Transform(commaList)
  @IsArray()
  @ArrayMaxSize(EVENT_TYPES.length)
  @IsIn(EVENT_TYPES, { each: true, message: `each type must be one of ${EVENT_TYPES.join(', ')}` })
  type?: EventType[];

  /** Look up the SCIM request behind each event in the ingress's request log (default true). */
  @IsOptional()
  @IsIn(['true', 'false'])
  withRequests?: 'true' | 'false';
}
