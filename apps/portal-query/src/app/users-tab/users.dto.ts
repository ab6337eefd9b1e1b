import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, MaxLength, Min } from 'class-validator';
import { PositionQueryDto } from '../read-model/read-your-writes.service';

export const USER_SORTS = ['userName', 'displayName', 'createdAt', 'updatedAt'] as const;
export type UserSort = (typeof USER_SORTS)[number];
export const ORDERS = ['asc', 'desc'] as const;
export type Order = (typeof ORDERS)[number];

/** Keyset paging, shared by every list: an opaque cursor from the previous page and a page size. */
export class PageQueryDto extends PositionQueryDto {
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

/** The members of a group: the Users tab's filters, the group fixed by the path. */
export class MembersQueryDto extends PageQueryDto {
  /** Case-insensitive substring of userName, display/given/family name or primary email. */
  @IsOptional()
  @IsString()
  @Length(1, 200)
  search?: string;

  @IsOptional()
  @IsIn(['active', 'inactive'])
  status?: 'active' | 'inactive';

  @IsOptional()
  @IsIn(USER_SORTS)
  sort?: UserSort;

  @IsOptional()
  @IsIn(ORDERS)
  order?: Order;
}

export class UsersQueryDto extends MembersQueryDto {
  /** Only members of this group (its SCIM id). */
  @IsOptional()
  @IsString()
  @Length(1, 200)
  groupId?: string;
}
