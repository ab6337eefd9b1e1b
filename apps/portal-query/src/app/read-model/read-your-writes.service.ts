import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { PG_POOL, SERVICE_CONFIG } from '@scimbridge/service-kit';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min, ValidatorConstraint, Validate, type ValidatorConstraintInterface } from 'class-validator';
import type { Pool } from 'pg';
import type { portalQueryConfig } from '../portal-query.config';
import { decodePosition, encodePosition, hasReached, offsetsFrom, type Offsets } from './projection-position';

export const POSITION_HEADER = 'X-Projection-Position';

@ValidatorConstraint({ name: 'isProjectionPosition' })
class IsProjectionPosition implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && decodePosition(value) !== undefined;
  }
  defaultMessage(): string {
    return 'minPosition must be a position this API returned';
  }
}

/** Every query endpoint takes these: wait until the read models have applied `minPosition`. */
export class PositionQueryDto {
  @IsOptional()
  @IsString()
  @MaxLength(8_000)
  @Validate(IsProjectionPosition)
  minPosition?: string;

  /** At most READ_YOUR_WRITES_MAX_WAIT_MS (the default when `minPosition` is given). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(60_000)
  waitMs?: number;
}

export interface HeaderSink {
  setHeader(name: string, value: string): unknown;
}

export type Positioned<T> = T & { readonly position: string };

/**
 * Read-your-writes for the portal. Every answer carries the position it was read at (header and
 * `position` field); the position is read BEFORE the answer's rows, so the rows are at least that new.
 * A request with `minPosition` first waits, bounded, until the projection has applied it; if it has
 * not by then the answer is 503 (with the position reached), never a silently older answer.
 */
@Injectable()
export class ReadYourWritesService {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE_CONFIG) private readonly config: portalQueryConfig,
  ) {}

  async current(): Promise<Offsets> {
    const { rows } = await this.pool.query<{ topic: string; partition: number; next_offset: string }>({
      name: 'pq_applied_offsets',
      text: 'SELECT topic, partition, next_offset::text FROM applied_offsets',
    });
    return offsetsFrom(rows);
  }

  async respond<T extends object>(query: PositionQueryDto, response: HeaderSink, work: () => Promise<T>): Promise<Positioned<T>> {
    let applied = await this.current();
    if (query.minPosition !== undefined) {
      const wanted = decodePosition(query.minPosition) as Offsets;
      const deadline = Date.now() + Math.min(query.waitMs ?? this.config.READ_YOUR_WRITES_MAX_WAIT_MS, this.config.READ_YOUR_WRITES_MAX_WAIT_MS);
      while (!hasReached(applied, wanted)) {
        if (Date.now() >= deadline) {
          response.setHeader(POSITION_HEADER, encodePosition(applied));
          response.setHeader('Retry-After', '1');
          throw new ServiceUnavailableException({ statusCode: 503, message: 'the read models have not reached minPosition yet', position: encodePosition(applied) });
        }
        await new Promise((r) => setTimeout(r, 20));
        applied = await this.current();
      }
    }
    const position = encodePosition(applied);
    response.setHeader(POSITION_HEADER, position);
    return { ...(await work()), position };
  }
}
