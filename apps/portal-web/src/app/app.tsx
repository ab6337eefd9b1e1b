import { useState } from 'react';
import { DIRECTORY_PROVIDERS, type DirectoryProvider } from './providers';
import { ServiceStatusList, useServiceStates, type FetchLike } from './service-status';

const browserFetch: FetchLike = (url) => fetch(url);

export function App({ fetcher = browserFetch }: { fetcher?: FetchLike }) {
  const [selected, setSelected] = useState<DirectoryProvider['id']>('onelogin');
  const states = useServiceStates(fetcher);
  return (
    <main>
      <header>
        <h1>SCIM configuration portal</h1>
        <p>Connect your identity provider to provision users and groups over SCIM 2.0.</p>
      </header>
      <section aria-labelledby="provider-heading">
        <h2 id="provider-heading">Directory provider</h2>
        <div role="radiogroup" aria-label="Directory provider" className="providers">
          {DIRECTORY_PROVIDERS.map((provider) => (
            <label key={provider.id} className={provider.id === selected ? 'provider selected' : 'provider'}>
              <input
                type="radio"
                name="provider"
                value={provider.id}
                checked={provider.id === selected}
                onChange={() => setSelected(provider.id)}
              />
              {provider.label}
            </label>
          ))}
        </div>
      </section>
      <section aria-labelledby="status-heading">
        <h2 id="status-heading">Service status</h2>
        <ServiceStatusList states={states} />
      </section>
    </main>
  );
}
