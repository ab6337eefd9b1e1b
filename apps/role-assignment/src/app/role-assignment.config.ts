import { Expose, Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { IngressClientConfig } from '@scimbridge/service-kit';

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

/**
 * MANAGEMENT_API_KEY and SCIM_INGRESS_URL come from IngressClientConfig: organizations live in the
 * ingress, and one that has no directory yet (so no event has told us about it) is looked up there once
 * when its roles are first set.
 */
export class roleAssignmentConfig extends IngressClientConfig {
  override PORT = 3001;

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
