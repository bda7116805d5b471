import { useState } from 'preact/hooks';
import { api, enc } from '../lib/api.js';
import { ago, num } from '../lib/format.js';
import { useAction, usePoll } from '../lib/hooks.js';
import { html } from '../lib/html.js';
import { ErrorBox, Field, Loading, StateBadge, confirmDialog } from '../lib/ui.js';

/** Alert rules with their state, a form to add one, and delete; of one service, or of all when service is empty. */
export function AlertsPanel({ service = '' }) {
  const rules = usePoll(() => api(service ? `/services/${enc(service)}/alerts` : '/alerts'), 3000, [service]);
  const services = usePoll(() => (service ? Promise.resolve([]) : api('/services')), 0, [service]);
  const action = useAction();
  const [form, setForm] = useState({ service: '', expr: 'p99 > 200ms for 30s', name: '', webhook: '' });
  const target = service || form.service;
  const add = async (e) => {
    e.preventDefault();
    const body = { expr: form.expr };
    if (form.name.trim()) body.name = form.name.trim();
    if (form.webhook.trim()) body.webhook = form.webhook.trim();
    if (!target) return;
    if ((await action.run(() => api(`/services/${enc(target)}/alerts`, { method: 'POST', body }))) !== undefined) rules.reload();
  };
  const remove = async (rule) => {
    if (!(await confirmDialog({ title: 'Delete alert rule', message: `Delete "${rule.name}" (${rule.expr}) of ${rule.service}?`, confirmLabel: 'Delete', danger: true }))) return;
    if ((await action.run(() => api(`/services/${enc(rule.service)}/alerts/${enc(rule.id)}`, { method: 'DELETE' }))) !== undefined) rules.reload();
  };
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.value });
  return html`<div class="alerts">
    <${ErrorBox} error=${rules.error} />
    ${!rules.data ? html`<${Loading} />` : rules.data.length === 0 ? html`<p class="muted">No alert rules.</p>` : html`<table class="grid" data-table="alerts">
      <thead><tr>${service ? null : html`<th>Service</th>`}<th>Name</th><th>Rule</th><th>State</th><th class="num">Value</th><th>Since</th><th>Webhook</th><th></th></tr></thead>
      <tbody>${rules.data.map((r) => html`<tr data-alert=${r.id}>
        ${service ? null : html`<td><a href=${`#/services/${encodeURIComponent(r.service)}/alerts`}>${r.service}</a></td>`}
        <td>${r.name}</td><td><code>${r.expr}</code></td><td><${StateBadge} state=${r.state} /></td>
        <td class="num">${r.value === null || r.value === undefined ? '–' : `${num(r.value)}${r.unit ? ` ${r.unit}` : ''}`}</td>
        <td>${r.since ? ago(r.since) : ''}</td><td class="message">${r.webhook ?? ''}</td>
        <td><button class="small danger" onClick=${() => remove(r)} disabled=${action.busy}>Delete</button></td>
      </tr>`)}</tbody>
    </table>`}
    <form class="card alert-form" onSubmit=${add} data-form="alert">
      <h3>Add a rule</h3>
      <p class="muted">A metric, a comparison and how long it must hold: <code>p99 > 200ms for 30s</code>, <code>error_rate > 1% for 1m</code>, <code>qps &lt; 1 for 5m</code>, <code>cpu > 80%</code>, <code>memory > 500MB</code> (docs/alerts.md).</p>
      <div class="row">
        ${service ? null : html`<${Field} label="Service" path="service" error=${null}>
          <select name="service" value=${form.service} onChange=${set('service')}><option value="">choose…</option>${(services.data ?? []).map((s) => html`<option>${s.ServiceName}</option>`)}</select></${Field}>`}
        <${Field} label="Rule" path="expr" error=${action.error}><input name="expr" value=${form.expr} onInput=${set('expr')} /></${Field}>
        <${Field} label="Name (optional)" path="name" error=${action.error}><input name="name" value=${form.name} onInput=${set('name')} /></${Field}>
        <${Field} label="Webhook (optional)" path="webhook" error=${action.error}><input name="webhook" placeholder="https://…" value=${form.webhook} onInput=${set('webhook')} /></${Field}>
      </div>
      <${ErrorBox} error=${action.error} findings=${false} />
      <div class="actions"><button class="primary" type="submit" disabled=${action.busy || !target}>Add rule</button></div>
    </form>
  </div>`;
}

export function AlertsPage() {
  return html`<section><header class="page-head"><h1>Alerts</h1></header><${AlertsPanel} /></section>`;
}
