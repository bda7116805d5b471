import { useState } from 'preact/hooks';
import { api, enc } from '../../lib/api.js';
import { usePoll } from '../../lib/hooks.js';
import { html } from '../../lib/html.js';
import { query } from '../../lib/router.js';
import { Monitoring } from '../monitoring.js';

export function MonitoringTab({ name }) {
  const instances = usePoll(() => api(`/services/${enc(name)}/instances`), 5000, [name]);
  const [instance, setInstance] = useState(query().get('instance') ?? '');
  return html`<div>
    <label class="field compact"><span class="label">Show</span>
      <select name="instance" value=${instance} onChange=${(e) => setInstance(e.target.value)}>
        <option value="">the whole service</option>
        ${(instances.data ?? []).map((i) => html`<option value=${i.InstanceName}>instance ${i.InstanceName}</option>`)}
        ${instance && !(instances.data ?? []).some((i) => i.InstanceName === instance) ? html`<option value=${instance}>instance ${instance}</option>` : null}
      </select></label>
    <${Monitoring} service=${name} instance=${instance} />
  </div>`;
}
