import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, MaxLength, Min } from 'class-validator';
import { PositionQueryDto } from '../read-model/read-your-writes.service';
import { ORDERS, type Order } from '../users-tab/users.dto';

export const GROUP_SORTS = ['displayName', 'createdAt', 'updatedAt'] as const;
export type GroupSort = (typeof GROUP_SORTS)[number];

export class GroupsQueryDto extends PositionQueryDto {
  /** Case-insensitive substring of the display name. */
  @IsOptional()
  @IsString()
  @Length(1, 200)
  search?: string;

  @IsOptional()
  @IsIn(GROUP_SORTS)
  sort?: GroupSort;

  @IsOptional()
  @IsIn(ORDERS)
  order?: Order;

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
}
