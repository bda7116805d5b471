import { useState } from 'preact/hooks';
import { html } from '../../lib/html.js';
import { query } from '../../lib/router.js';
import { Monitoring } from '../monitoring.js';
import { InstanceSelect } from './instances.js';

export function MonitoringTab({ name }) {
  const [instance, setInstance] = useState(query().get('instance') ?? '');
  return html`<div>
    <label class="field compact"><span class="label">Show</span>
      <${InstanceSelect} name=${name} value=${instance} onChange=${setInstance} noneLabel="the whole service" prefix="instance " /></label>
    <${Monitoring} service=${name} instance=${instance} />
  </div>`;
}
