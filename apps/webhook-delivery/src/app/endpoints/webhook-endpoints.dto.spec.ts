import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { CreateWebhookDto, UpdateWebhookDto } from './webhook-endpoints.dto';

const problems = async (cls: typeof CreateWebhookDto | typeof UpdateWebhookDto, body: Record<string, unknown>): Promise<string[]> =>
  (await validate(plainToInstance(cls, body), { whitelist: true, forbidNonWhitelisted: true })).map((e) => e.property);

describe('webhook DTOs', () => {
  it('require a url to create, and refuse a null one on change (absent means unchanged)', async () => {
    expect(await problems(CreateWebhookDto, {})).toEqual(['url']);
    expect(await problems(CreateWebhookDto, { url: 'https://app.example.com/h', eventTypes: ['UserProvisioned'], enabled: true })).toEqual([]);
    expect(await problems(UpdateWebhookDto, {})).toEqual([]);
    expect(await problems(UpdateWebhookDto, { url: null })).toEqual(['url']);
    expect(await problems(UpdateWebhookDto, { description: null, enabled: false })).toEqual([]);
    expect(await problems(UpdateWebhookDto, { eventTypes: ['not a type'] })).toEqual(['eventTypes']);
  });
});
