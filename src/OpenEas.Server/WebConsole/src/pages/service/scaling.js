import { useState } from 'preact/hooks';
import { api, enc } from '../../lib/api.js';
import { pretty } from '../../lib/format.js';
import { useAction, usePoll } from '../../lib/hooks.js';
import { html } from '../../lib/html.js';
import { ErrorBox, JsonEditor, Loading, confirmDialog } from '../../lib/ui.js';
import { EventList } from './overview.js';

const templates = {
  autoscaler: { min: 1, max: 4, scaleStrategies: [{ metricName: 'qps', threshold: 100 }] },
  cronscaler: { ScaleJobs: [{ Name: 'evening', Schedule: '0 0 18 * * *', TargetSize: 2, TimeZone: 'UTC' }] },
};

const sources = { api: 'set with the API', spec: 'from the spec', none: 'off' };

/** Autoscaler and scheduled scaling, each set apart from the spec (no new version), and the recent decisions. */
export function ScalingTab({ name }) {
  const events = usePoll(() => api(`/services/${enc(name)}/events?limit=500`), 3000, [name]);
  const decisions = (events.data ?? []).filter((e) => /Scaled$|Scale/.test(e.Reason)).slice(-30);
  return html`<div class="scaling">
    <div class="split">
      <${Setting} name=${name} kind="autoscaler" title="Autoscaler" help="Sets the instance count every second from the load: min, max and a threshold per instance for qps, concurrency or cpu (docs/scaling.md)." />
      <${Setting} name=${name} kind="cronscaler" title="Scheduled scaling" help="Six-field cron jobs (seconds first) that set the count, or the floor under the autoscaler." />
    </div>
    <h3>Recent scaling decisions</h3>
    <${EventList} events=${decisions} />
  </div>`;
}

function Setting({ name, kind, title, help }) {
  const path = `/services/${enc(name)}/${kind}`;
  const current = usePoll(() => api(path), 0, [name]);
  const [text, setText] = useState(null);
  const action = useAction();
  if (!current.data) return current.error ? html`<${ErrorBox} error=${current.error} />` : html`<${Loading} />`;
  const value = current.data[kind];
  const shown = text ?? pretty(value ?? templates[kind]);
  const save = async () => {
    if ((await action.run(() => api(path, { method: 'PUT', body: shown }))) !== undefined) {
      setText(null);
      current.reload();
    }
  };
  const off = async () => {
    if (!(await confirmDialog({ title: `Turn off ${title.toLowerCase()}`, message: `Turn off ${title.toLowerCase()} for ${name}? The instance count stays where it is.`, confirmLabel: 'Turn off', danger: true }))) return;
    if ((await action.run(() => api(path, { method: 'DELETE' }))) !== undefined) {
      setText(null);
      current.reload();
    }
  };
  return html`<div class="card" data-setting=${kind}>
    <h3>${title} <span class="badge ${value ? 'ok' : 'off'}">${value ? sources[current.data.source] ?? current.data.source : 'off'}</span></h3>
    <p class="muted">${help}</p>
    <${JsonEditor} name=${kind} value=${shown} onInput=${setText} findings=${action.error?.errors ?? []} stripPrefix=${`${kind}.`} rows=${10} />
    <${ErrorBox} error=${action.error} findings=${false} />
    <div class="actions">
      ${value ? html`<button class="danger" onClick=${off} disabled=${action.busy}>Turn off</button>` : null}
      <button class="primary" onClick=${save} disabled=${action.busy} data-action=${`save-${kind}`}>${value ? 'Save' : 'Turn on'}</button>
    </div>
  </div>`;
}
