import { Expose, Transform } from 'class-transformer';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { ManagementApiConfig } from '@scimbridge/service-kit';

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

/** MANAGEMENT_API_KEY (from ManagementApiConfig) is the same key the ingress's management API takes. */
export class roleAssignmentConfig extends ManagementApiConfig {
  override PORT = 3001;

  /**
   * The ingress's management API: organizations live there, and one that has no directory yet (so no
   * event has told us about it) is looked up once when its roles are first set.
   */
  @Expose()
  @IsString()
  @Matches(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, { message: 'SCIM_INGRESS_URL must be an http(s) URL' })
  SCIM_INGRESS_URL = 'http://127.0.0.1:3000';

  /**
   * How long the relay gathers role events after a wake-up before it publishes them: one produce request
   * for the events of several directory events, at this much added latency.
   */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000)
  ROLE_EVENTS_COALESCE_MS = 5;
}
