import { Controller, Get, Query } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { Repository } from 'typeorm';
import { GroupEntity, UserEntity } from '../database/entities';

export class DirectoryQueryDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  directoryId!: string;
}

export interface UserView {
  readonly userId: string;
  readonly userName: string | null;
  readonly email: string | null;
  readonly displayName: string | null;
  readonly externalId: string | null;
  readonly active: boolean;
  readonly deprovisioned: boolean;
  readonly roles: readonly string[];
  readonly groupIds: readonly string[];
  readonly updatedAt: string;
}

export interface GroupView {
  readonly groupId: string;
  readonly displayName: string;
}

/** A look at the app's tables, for people and tests. A real app would use them in its own features instead. */
@Controller()
export class UsersController {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    @InjectRepository(GroupEntity) private readonly groups: Repository<GroupEntity>,
  ) {}

  @Get('users')
  async list(@Query() query: DirectoryQueryDto): Promise<{ users: UserView[] }> {
    const rows = await this.users.find({ where: { directoryId: query.directoryId }, order: { userId: 'ASC' } });
    return {
      users: rows.map((u) => ({
        userId: u.userId,
        userName: u.userName,
        email: u.email,
        displayName: u.displayName,
        externalId: u.externalId,
        active: u.active,
        deprovisioned: u.deprovisionedAt !== null,
        roles: u.roles,
        groupIds: u.groupIds,
        updatedAt: u.updatedAt.toISOString(),
      })),
    };
  }

  @Get('groups')
  async listGroups(@Query() query: DirectoryQueryDto): Promise<{ groups: GroupView[] }> {
    const rows = await this.groups.find({ where: { directoryId: query.directoryId }, order: { groupId: 'ASC' } });
    return { groups: rows.map((g) => ({ groupId: g.groupId, displayName: g.displayName })) };
  }
}
