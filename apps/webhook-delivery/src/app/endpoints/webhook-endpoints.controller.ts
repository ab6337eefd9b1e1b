import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query, UseGuards, UsePipes, ValidationPipe } from '@nestjs/common';
import { Access, AllowPortalSession, ManagementAccessGuard, type AccessScope } from '@scimbridge/service-kit';
import { OrganizationsService } from '../organizations/organizations.service';
import { CreateWebhookDto, DeliveryLogQueryDto, UpdateWebhookDto } from './webhook-endpoints.dto';
import { WebhookEndpointsService, type DeliveryView, type WebhookView, type WebhookWithSecret } from './webhook-endpoints.service';

/**
 * An organization's webhook endpoints and their delivery log: for the app's backend (management key)
 * and the organization's portal session (another organization's session gets 404).
 */
@Controller('api/v1/organizations/:orgId/webhooks')
@UseGuards(ManagementAccessGuard)
@AllowPortalSession()
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class WebhookEndpointsController {
  constructor(
    private readonly endpoints: WebhookEndpointsService,
    private readonly organizations: OrganizationsService,
  ) {}

  @Post()
  async create(@Access() scope: AccessScope, @Param('orgId', ParseUUIDPipe) orgId: string, @Body() body: CreateWebhookDto): Promise<WebhookWithSecret> {
    await this.organizations.requireOrganization(scope, orgId);
    return this.endpoints.create(orgId, body);
  }

  @Get()
  async list(@Access() scope: AccessScope, @Param('orgId', ParseUUIDPipe) orgId: string): Promise<{ webhooks: WebhookView[] }> {
    await this.organizations.requireOrganization(scope, orgId);
    return this.endpoints.list(orgId);
  }

  @Get(':webhookId')
  async get(@Access() scope: AccessScope, @Param('orgId', ParseUUIDPipe) orgId: string, @Param('webhookId', ParseUUIDPipe) webhookId: string): Promise<WebhookView> {
    await this.organizations.requireOrganization(scope, orgId);
    return this.endpoints.get(orgId, webhookId);
  }

  @Patch(':webhookId')
  async update(
    @Access() scope: AccessScope,
    @Param('orgId', ParseUUIDPipe) orgId: string,
    @Param('webhookId', ParseUUIDPipe) webhookId: string,
    @Body() body: UpdateWebhookDto,
  ): Promise<WebhookView> {
    await this.organizations.requireOrganization(scope, orgId);
    return this.endpoints.update(orgId, webhookId, body);
  }

  @Delete(':webhookId')
  @HttpCode(204)
  async remove(@Access() scope: AccessScope, @Param('orgId', ParseUUIDPipe) orgId: string, @Param('webhookId', ParseUUIDPipe) webhookId: string): Promise<void> {
    await this.organizations.requireOrganization(scope, orgId);
    await this.endpoints.remove(orgId, webhookId);
  }

  @Post(':webhookId/secret')
  async rotateSecret(@Access() scope: AccessScope, @Param('orgId', ParseUUIDPipe) orgId: string, @Param('webhookId', ParseUUIDPipe) webhookId: string): Promise<WebhookWithSecret> {
    await this.organizations.requireOrganization(scope, orgId);
    return this.endpoints.rotateSecret(orgId, webhookId);
  }

  @Get(':webhookId/deliveries')
  async deliveries(
    @Access() scope: AccessScope,
    @Param('orgId', ParseUUIDPipe) orgId: string,
    @Param('webhookId', ParseUUIDPipe) webhookId: string,
    @Query() query: DeliveryLogQueryDto,
  ): Promise<{ deliveries: DeliveryView[]; nextCursor: string | null }> {
    await this.organizations.requireOrganization(scope, orgId);
    return this.endpoints.deliveries(orgId, webhookId, query);
  }

  @Post(':webhookId/deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  async redeliver(
    @Access() scope: AccessScope,
    @Param('orgId', ParseUUIDPipe) orgId: string,
    @Param('webhookId', ParseUUIDPipe) webhookId: string,
    @Param('deliveryId', ParseUUIDPipe) deliveryId: string,
  ): Promise<DeliveryView> {
    await this.organizations.requireOrganization(scope, orgId);
    return this.endpoints.redeliver(orgId, webhookId, deliveryId);
  }
}
