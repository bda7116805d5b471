import { api, enc } from '../../lib/api.js';
import { usePoll } from '../../lib/hooks.js';
import { html } from '../../lib/html.js';
import { ErrorBox, Loading } from '../../lib/ui.js';
import { EventList } from './overview.js';

export function EventsTab({ name }) {
  const events = usePoll(() => api(`/services/${enc(name)}/events?limit=200`), 3000, [name]);
  return html`<div>
    <${ErrorBox} error=${events.error} />
    ${events.data ? html`<${EventList} events=${events.data} />` : html`<${Loading} />`}
  </div>`;
}
