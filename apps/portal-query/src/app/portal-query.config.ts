import { Expose, Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { IngressClientConfig } from '@scimbridge/service-kit';

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

/**
 * MANAGEMENT_API_KEY and SCIM_INGRESS_URL come from IngressClientConfig: the ingress owns the SCIM request
 * log and the tokens, which the overview (last request, token last used, error) and the event log (the
 * request behind an event) read.
 */
export class portalQueryConfig extends IngressClientConfig {
  override PORT = 3002;

  /** How long a call to the ingress may take before the answer goes out without its facts. */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(30_000)
  SCIM_INGRESS_TIMEOUT_MS = 1_000;

  /** Upper bound of a read-your-writes wait (`minPosition`); a request may ask for less. */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(60_000)
  READ_YOUR_WRITES_MAX_WAIT_MS = 5_000;

  /** How often the service looks for a read-model generation switched over by a rebuild. */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60_000)
  READ_MODEL_GENERATION_POLL_MS = 1_000;
}
