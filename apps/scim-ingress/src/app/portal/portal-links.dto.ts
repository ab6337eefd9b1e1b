import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

export const PORTAL_LINK_KINDS = ['shareable', 'embedded'] as const;
export type PortalLinkKind = (typeof PORTAL_LINK_KINDS)[number];

const toInt = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value);

export class CreatePortalLinkDto {
  /** `shareable`: a link to send to the customer's admin (days, revocable). `embedded`: single use, for an iframe; must be opened within a minute. */
  @IsOptional()
  @IsIn(PORTAL_LINK_KINDS, { message: `kind must be one of ${PORTAL_LINK_KINDS.join(', ')}` })
  kind?: PortalLinkKind;

  /** How long a shareable link can be opened (default 7 days). Not for embedded links. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(30)
  expiresInDays?: number;

  /** How long a session opened with the link lasts (default 8 hours = 480). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(5)
  @Max(24 * 60)
  sessionMinutes?: number;
}

export class OpenPortalSessionDto {
  @IsString()
  @Matches(/^pl_[A-Za-z0-9_-]{43}$/, { message: 'token must be a portal link token (pl_…)' })
  token!: string;
}
