import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, Length, Matches, ValidateIf, ValidateNested } from 'class-validator';
import { ROLE_KEY, ROLE_KEY_MESSAGE } from '../catalog/roles.dto';

export class GroupRolesDto {
  /** A group of the directory (its SCIM id, as in the directory events). */
  @IsString()
  @Length(1, 200)
  groupId!: string;

  @IsArray()
  @ArrayMaxSize(100)
  @Matches(ROLE_KEY, { each: true, message: `each role ${ROLE_KEY_MESSAGE}` })
  roles!: string[];
}

export class PutRoleMappingsDto {
  @IsArray()
  @ArrayMaxSize(10_000)
  @ValidateNested({ each: true })
  @Type(() => GroupRolesDto)
  mappings!: GroupRolesDto[];

  /** Given to users none of whose groups grants a role (or, with `everyone`, to every user); null: none. */
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @Matches(ROLE_KEY, { message: `defaultRole ${ROLE_KEY_MESSAGE}` })
  defaultRole?: string | null;

  @IsOptional()
  @IsIn(['unassigned', 'everyone'])
  defaultRoleAppliesTo?: 'unassigned' | 'everyone';
}
