import { renderToString } from 'react-dom/server';
import { App } from './app';
import { DIRECTORY_PROVIDERS } from './providers';

describe('portal App', () => {
  const neverCalled = async (): Promise<{ status: number }> => {
    throw new Error('server rendering must not fetch');
  };

  it('offers every directory provider, OneLogin first and preselected', () => {
    const html = renderToString(<App fetcher={neverCalled} />);
    expect(html).toContain('SCIM configuration portal');
    const positions = DIRECTORY_PROVIDERS.map((p) => html.indexOf(`value="${p.id}"`));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(html).toMatch(/checked="" value="onelogin"/);
    expect(html.match(/checked=""/g)).toHaveLength(1);
  });

  it('lists the three backend services, each still being checked on first render', () => {
    const html = renderToString(<App fetcher={neverCalled} />);
    for (const service of ['scim-ingress', 'role-assignment', 'portal-query']) {
      expect(html).toContain(`data-service="${service}" data-state="checking"`);
    }
  });
});
