import { api, enc } from '../../lib/api.js';
import { ago, time } from '../../lib/format.js';
import { useAction, usePoll } from '../../lib/hooks.js';
import { html } from '../../lib/html.js';
import { ErrorBox, Loading, StateBadge, confirmDialog } from '../../lib/ui.js';

export function InstancesTab({ name }) {
  const list = usePoll(() => api(`/services/${enc(name)}/instances`), 2000, [name]);
  const action = useAction();
  const base = `#/services/${encodeURIComponent(name)}`;
  const restart = async (instance) => {
    const ok = await confirmDialog({ title: `Restart ${instance}`, message: `Restart ${instance}? A replacement starts; this one drains and stops.`, confirmLabel: 'Restart', danger: true });
    if (ok && (await action.run(() => api(`/services/${enc(name)}/instances?names=${enc(instance)}`, { method: 'DELETE' }))) !== undefined) list.reload();
  };
  if (!list.data) return list.error ? html`<${ErrorBox} error=${list.error} />` : html`<${Loading} />`;
  return html`<div>
    <${ErrorBox} error=${action.error ?? list.error} />
    ${list.data.length === 0 ? html`<p class="muted">No instances.</p>` : html`<table class="grid" data-table="instances">
      <thead><tr><th>Instance</th><th>State</th><th class="num">Version</th><th>Address</th><th class="num">PID</th><th>Group</th>
        <th class="num">Restarts</th><th>Started</th><th>Last exit</th><th>Reason</th><th></th></tr></thead>
      <tbody>${list.data.map((i) => html`<tr data-instance=${i.InstanceName}>
        <td><code>${i.InstanceName}</code></td>
        <td><${StateBadge} state=${i.Status} />${i.PreemptAt ? html` <span class="badge bad" title=${i.PreemptAt}>preempted</span>` : null}</td>
        <td class="num">${i.Version}</td>
        <td>${i.Port ? `${i.HostIp}:${i.Port}` : '–'}</td>
        <td class="num">${i.Pid ?? '–'}</td>
        <td>${i.ResourceGroup || '–'}${i.Spot ? ' (spot)' : ''}${i.Overflow ? ' (overflow)' : ''}</td>
        <td class="num">${i.RestartCount}</td>
        <td title=${i.StartTime ?? ''}>${i.StartTime ? ago(i.StartTime) : '–'}</td>
        <td>${i.LastState ? html`<span title=${time(i.LastState.FinishedAt)}>${i.LastState.Reason}${i.LastState.ExitCode !== null && i.LastState.ExitCode !== undefined ? ` (${i.LastState.ExitCode})` : ''}</span>` : '–'}</td>
        <td class="message">${i.Reason}${i.Message ? html` <span class="muted">${i.Message}</span>` : null}</td>
        <td class="row-actions">
          <a href=${`${base}/logs?instance=${encodeURIComponent(i.InstanceName)}`}>logs</a>
          <a href=${`${base}/monitoring?instance=${encodeURIComponent(i.InstanceName)}`}>metrics</a>
          <button class="small" onClick=${() => restart(i.InstanceName)} disabled=${action.busy}>restart</button>
        </td>
      </tr>`)}</tbody>
    </table>`}
  </div>`;
}

/** Picks one of the service's instances, or none (value ''); keeps a chosen one listed after it is gone. */
export function InstanceSelect({ name, value, onChange, noneLabel, prefix = '' }) {
  const instances = usePoll(() => api(`/services/${enc(name)}/instances`), 5000, [name]);
  const names = (instances.data ?? []).map((i) => i.InstanceName);
  if (value && !names.includes(value)) names.push(value);
  return html`<select name="instance" value=${value} onChange=${(e) => onChange(e.target.value)}>
    <option value="">${noneLabel}</option>
    ${names.map((n) => html`<option value=${n}>${prefix}${n}</option>`)}
  </select>`;
}
