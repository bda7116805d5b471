import { useState } from 'preact/hooks';
import { api, enc } from '../lib/api.js';
import { takeFlash } from '../lib/flash.js';
import { useAction, usePoll } from '../lib/hooks.js';
import { html } from '../lib/html.js';
import { navigate } from '../lib/router.js';
import { ErrorBox, FieldError, Loading, StateBadge, Tabs, confirmDialog } from '../lib/ui.js';
import { serviceTabs } from './service/tabs.js';

/** One service: its state and actions on top, a tab per aspect below (see service/tabs.js). */
export function ServicePage({ name, tab = 'overview' }) {
  const desc = usePoll(() => api(`/services/${enc(name)}`), 2000, [name]);
  const [flash] = useState(takeFlash);
  const s = desc.data;
  if (desc.error?.status === 404 && !s) {
    return html`<div class="empty"><h2>No service "${name}"</h2><p><a href="#/services">All services</a></p></div>`;
  }
  if (!s && desc.error) return html`<${ErrorBox} error=${desc.error} />`;
  const active = serviceTabs.find((t) => t.id === tab) ?? serviceTabs[0];
  const ready = s || active.service === false;
  return html`<section data-service-page=${name}>
    <header class="page-head">
      <div>
        <div class="crumbs"><a href="#/services">Services</a> /</div>
        <h1>${name} ${s ? html`<${StateBadge} state=${s.Status} />` : null}</h1>
        <div class="reason" data-reason>${s ? [s.Reason, s.Message].filter(Boolean).join(' — ') : ''}</div>
      </div>
      ${s ? html`<${Actions} service=${s} reload=${desc.reload} />` : null}
    </header>
    ${flash ? html`<div class="warn-box"><strong>${flash.title}</strong><ul>${flash.items.map((w) => html`<li><code>${w.path}</code> ${w.message}</li>`)}</ul></div>` : null}
    ${desc.error ? html`<${ErrorBox} error=${desc.error} />` : null}
    <${Tabs} tabs=${serviceTabs} active=${active.id} base=${`/services/${encodeURIComponent(name)}`} />
    <div class="tab-body">${ready ? html`<${active.component} key=${active.id} name=${name} service=${s} reload=${desc.reload} />` : html`<${Loading} />`}</div>
  </section>`;
}

function Actions({ service, reload }) {
  const name = service.ServiceName;
  const action = useAction();
  // The count follows the service (autoscaler, CLI) until the user types one.
  const [typed, setCount] = useState(null);
  const count = typed ?? String(service.DesiredInstance);
  const path = `/services/${enc(name)}`;
  const stopped = service.Status === 'Stopped';
  const act = async (confirmation, call) => {
    if (confirmation && !(await confirmDialog(confirmation))) return;
    const done = await action.run(call);
    if (done !== undefined) reload();
    return done;
  };
  const scale = async (e) => {
    e.preventDefault();
    const n = Number(count);
    const done = await act(
      { title: `Scale ${name}`, message: `Scale ${name} from ${service.DesiredInstance} to ${count} instance${n === 1 ? '' : 's'}?`, confirmLabel: 'Scale' },
      () => api(`${path}/scale`, { method: 'PUT', body: `{"instance": ${/^\d+$/.test(count.trim()) ? n : JSON.stringify(count)}}` }),
    );
    if (done) setCount(null);
  };
  return html`<div class="service-actions">
    <form class="inline" onSubmit=${scale} data-form="scale">
      <label class="field compact"><span class="label">Instances</span>
        <input name="instance" size="3" value=${count} onInput=${(e) => setCount(e.target.value)} /></label>
      <button type="submit" disabled=${action.busy} data-action="scale">Scale</button>
      <${FieldError} error=${action.error} path="instance" />
    </form>
    ${stopped
      ? html`<button onClick=${() => act(null, () => api(`${path}/start`, { method: 'PUT' }))} disabled=${action.busy} data-action="start">Start</button>`
      : html`<button onClick=${() => act({ title: `Stop ${name}`, message: `Stop every instance of ${name}? Calls get 503 until it is started again; the instance count (${service.DesiredInstance}) is kept.`, confirmLabel: 'Stop', danger: true }, () => api(`${path}/stop`, { method: 'PUT' }))}
          disabled=${action.busy || service.Status === 'Deleting'} data-action="stop">Stop</button>`}
    <button class="danger" disabled=${action.busy} data-action="delete" onClick=${async () => {
      const done = await act({ title: `Delete ${name}`, message: `Delete ${name}, its versions, instances, tokens and alert rules? This cannot be undone.`, confirmLabel: 'Delete', danger: true, typeToConfirm: name },
        () => api(path, { method: 'DELETE' }));
      if (done) navigate('/services');
    }}>Delete</button>
    ${action.error ? html`<div class="action-error"><${ErrorBox} error=${action.error} /></div>` : null}
  </div>`;
}
