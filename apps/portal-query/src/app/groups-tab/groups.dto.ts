import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { ORDERS, PageQueryDto, type Order } from '../users-tab/users.dto';

export const GROUP_SORTS = ['displayName', 'createdAt', 'updatedAt'] as const;
export type GroupSort = (typeof GROUP_SORTS)[number];

export class GroupsQueryDto extends PageQueryDto {
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
}
