import { useState } from 'preact/hooks';
import { api, enc } from '../lib/api.js';
import { num, time } from '../lib/format.js';
import { useAction, usePoll } from '../lib/hooks.js';
import { html } from '../lib/html.js';
import { ErrorBox, Field, Loading, confirmDialog } from '../lib/ui.js';

const empty = { Name: '', Cpu: '4', Memory: '8000', Gpu: '0', Spot: false };

function Usage({ used, total, unit = '' }) {
  const share = total > 0 ? Math.min(100, (used / total) * 100) : 0;
  return html`<div class="usage" title=${`${num(used)} of ${num(total)}${unit}`}>
    <div class="bar"><span style=${`width:${share}%`}></span></div><span>${num(used)} / ${num(total)}${unit}</span></div>`;
}

/** Resource groups: public (this host) and dedicated groups with their capacity, use and services; create, resize, delete. */
export function ResourcesPage() {
  const groups = usePoll(() => api('/resources'), 3000);
  const action = useAction();
  const [form, setForm] = useState(empty);
  const [editing, setEditing] = useState(null);
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.type === 'checkbox' ? e.target.checked : e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    const body = { Name: form.Name.trim(), Cpu: Number(form.Cpu), Memory: Number(form.Memory), Gpu: Number(form.Gpu), Spot: form.Spot };
    const done = await action.run(() => (editing ? api(`/resources/${enc(editing)}`, { method: 'PUT', body }) : api('/resources', { method: 'POST', body })));
    if (done !== undefined) {
      setForm(empty);
      setEditing(null);
      groups.reload();
    }
  };
  const remove = async (g) => {
    if (!(await confirmDialog({ title: `Delete ${g.ResourceName}`, message: `Delete the resource group ${g.ResourceName}?`, confirmLabel: 'Delete', danger: true }))) return;
    if ((await action.run(() => api(`/resources/${enc(g.ResourceName)}`, { method: 'DELETE' }))) !== undefined) groups.reload();
  };
  const edit = (g) => {
    setEditing(g.ResourceName);
    setForm({ Name: g.ResourceName, Cpu: String(g.Cpu), Memory: String(g.Memory), Gpu: String(g.Gpu), Spot: g.Spot });
  };
  return html`<section>
    <header class="page-head"><h1>Resource groups</h1></header>
    <p class="muted">Services are placed with <code>metadata.resource</code>; a dedicated group holds its declared capacity, and may overflow into public (docs/scaling.md).</p>
    <${ErrorBox} error=${groups.error} />
    ${!groups.data ? html`<${Loading} />` : html`<table class="grid" data-table="resources">
      <thead><tr><th>Name</th><th>Type</th><th>CPU (cores)</th><th>Memory (MB)</th><th>GPU</th><th class="num">Instances</th><th>Services</th><th>Created</th><th></th></tr></thead>
      <tbody>${groups.data.map((g) => html`<tr data-resource=${g.ResourceName}>
        <td>${g.ResourceName}</td><td>${g.ResourceType}${g.Spot ? ' (spot)' : ''}${g.ReclaimedUntil ? html` <span class="badge busy" title=${g.ReclaimedUntil}>reclaimed</span>` : null}</td>
        <td><${Usage} used=${g.UsedCpu} total=${g.Cpu} /></td><td><${Usage} used=${g.UsedMemory} total=${g.Memory} /></td>
        <td>${g.Gpu ? html`<${Usage} used=${g.UsedGpu} total=${g.Gpu} />` : '–'}</td>
        <td class="num">${g.InstanceCount}</td>
        <td>${g.Services.map((s, i) => html`${i ? ', ' : ''}<a href=${`#/services/${encodeURIComponent(s)}`}>${s}</a>`)}</td>
        <td>${time(g.CreateTime)}</td>
        <td class="row-actions">${g.ResourceType === 'Public' ? null : html`<button class="small" onClick=${() => edit(g)}>Resize</button>
          <button class="small danger" onClick=${() => remove(g)} disabled=${action.busy}>Delete</button>`}</td>
      </tr>`)}</tbody>
    </table>`}
    <form class="card" onSubmit=${submit} data-form="resource">
      <h3>${editing ? `Resize ${editing}` : 'Create a dedicated group'}</h3>
      <div class="row">
        <${Field} label="Name" path="Name" error=${action.error}><input name="Name" value=${form.Name} disabled=${!!editing} onInput=${set('Name')} /></${Field}>
        <${Field} label="CPU (cores)" path="Cpu" error=${action.error}><input name="Cpu" value=${form.Cpu} onInput=${set('Cpu')} /></${Field}>
        <${Field} label="Memory (MB)" path="Memory" error=${action.error}><input name="Memory" value=${form.Memory} onInput=${set('Memory')} /></${Field}>
        <${Field} label="GPU" path="Gpu" error=${action.error}><input name="Gpu" value=${form.Gpu} onInput=${set('Gpu')} /></${Field}>
        <label class="check"><input type="checkbox" name="Spot" checked=${form.Spot} disabled=${!!editing} onChange=${set('Spot')} /> spot</label>
      </div>
      <${ErrorBox} error=${action.error} findings=${false} />
      <div class="actions">
        ${editing ? html`<button type="button" onClick=${() => { setEditing(null); setForm(empty); action.clear(); }}>Cancel</button>` : null}
        <button class="primary" type="submit" disabled=${action.busy}>${editing ? 'Save' : 'Create'}</button>
      </div>
    </form>
  </section>`;
}
