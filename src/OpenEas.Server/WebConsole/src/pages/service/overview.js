import { useState } from 'preact/hooks';
import { api, enc } from '../../lib/api.js';
import { ago, ms, num, time } from '../../lib/format.js';
import { useAction, usePoll } from '../../lib/hooks.js';
import { html } from '../../lib/html.js';
import { CopyButton, ErrorBox, StateBadge, confirmDialog } from '../../lib/ui.js';

export function OverviewTab({ name, service: s, reload }) {
  const [reveal, setReveal] = useState(false);
  const rotation = useAction();
  const rotate = async () => {
    const ok = await confirmDialog({ title: `New token for ${name}`, message: 'Make a new token for calls to this service? The current one keeps working for one more hour, so clients can move over.', confirmLabel: 'Make a new token' });
    if (ok && (await rotation.run(() => api(`/services/${enc(name)}/token`, { method: 'POST', body: { graceSeconds: 3600 } }))) !== undefined) reload();
  };
  const live = usePoll(async () => {
    const [events, stats, metrics] = await Promise.all([
      api(`/services/${enc(name)}/events?limit=8`),
      api(`/services/${enc(name)}/stats`),
      api(`/services/${enc(name)}/metrics?from=-10s`),
    ]);
    return { events, stats, last: metrics.points[metrics.points.length - 1] };
  }, 2000, [name]);
  const d = live.data;
  const facts = [
    ['State', html`<${StateBadge} state=${s.Status} /> ${s.Reason}`],
    ['Instances', html`<span data-fact="instances">${s.RunningInstance} running, ${s.PendingInstance} pending, ${s.TotalInstance} wanted</span>${s.Status === 'Stopped' ? ` (${s.DesiredInstance} when started)` : ''}`],
    ['Version', html`${s.CurrentVersion}${s.LatestVersion !== s.CurrentVersion ? ` (latest ${s.LatestVersion})` : ''}`],
    ['Endpoint', html`<code>${s.InternetEndpoint}</code> <${CopyButton} text=${s.InternetEndpoint} />`],
    ['Token', html`<code data-token>${reveal ? s.AccessToken : '•'.repeat(16)}</code>
      <button class="small" onClick=${() => setReveal(!reveal)}>${reveal ? 'Hide' : 'Show'}</button> <${CopyButton} text=${s.AccessToken} />
      <button class="small" onClick=${rotate} disabled=${rotation.busy} data-action="rotate-token">Rotate…</button>
      <${ErrorBox} error=${rotation.error} />`],
    ['Resource group', s.Resource],
    ...(s.ServiceGroup ? [['Service group', html`<span data-fact="group">${s.ServiceGroup}, weight ${s.Weight}</span>`]] : []),
    ...(s.Mirror ? [['Mirroring', html`<span data-fact="mirror">${s.Mirror.Ratio}% of calls copied to ${s.Mirror.Target.join(', ')}</span>`]] : []),
    ...(s.Release ? [['Release', html`<span data-fact="release">${releaseText(s.Release)}</span>`]] : []),
    ['Created', html`<span title=${s.CreateTime}>${time(s.CreateTime)}</span>`],
    ['Updated', html`<span title=${s.UpdateTime}>${ago(s.UpdateTime)}</span>`],
  ];
  if (s.Scaling?.Min != null) {
    facts.push(['Autoscaler', `${s.Scaling.Min}–${s.Scaling.Max} instances on ${s.Scaling.Targets.join(', ') || '–'} (${s.Scaling.Source})`]);
  }
  if (s.Scaling?.Scheduled) {
    const jobs = s.Scaling.ScheduledJobs ?? [];
    facts.push(['Scheduled', html`<span data-fact="scheduled">${jobs.length ? jobs.join('; ') : 'yes'}${s.Scaling.NextScheduled ? `; next: ${s.Scaling.NextScheduled}` : ''}</span>`]);
  }
  return html`<div class="overview">
    <dl class="facts">${facts.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>
    <div class="tiles">
      <div class="tile"><span class="label">QPS</span><strong>${num(d?.last?.qps ?? 0)}</strong></div>
      <div class="tile"><span class="label">p99 (last second)</span><strong>${d?.last?.requests ? ms(d.last.p99Ms) : '–'}</strong></div>
      <div class="tile"><span class="label">In flight / waiting</span><strong>${d ? `${d.stats.InFlight} / ${d.stats.Waiting}` : '–'}</strong></div>
      <div class="tile"><span class="label">Calls since start</span><strong>${d ? num(d.stats.Requests, 0) : '–'}</strong>
        ${d ? html`<span class="muted">${num(d.stats.ClientErrors, 0)} 4xx · ${num(d.stats.ServerErrors, 0)} 5xx · ${num(d.stats.Rejected, 0)} refused</span>` : null}</div>
    </div>
    <h3>Try it</h3>
    <pre class="code">curl -H 'Authorization: ${reveal ? s.AccessToken : '<token>'}' -d 'hello eas' ${s.InternetEndpoint}</pre>
    <h3>Recent events <a class="small-link" href=${`#/services/${encodeURIComponent(name)}/events`}>all</a></h3>
    <${EventList} events=${d?.events ?? []} />
  </div>`;
}

/** A canary release in one line: state, step and weight, what was observed, and why it stands where it stands. */
function releaseText(r) {
  const step = r.Step >= 0 ? `step ${r.Step + 1} of ${r.Steps.length} (${r.Steps.join(', ')} %)` : `steps ${r.Steps.join(', ')} %`;
  const o = r.Observed;
  const seen = o ? `; canary ${num(o.CanaryCalls, 0)} calls, ${num(o.ErrorRate * 100, 2)} % errors, p99 ${ms(o.CanaryP99Ms)} vs baseline ${ms(o.BaselineP99Ms)}` : '';
  return `${r.Canary}: ${r.State}, ${step}, weight ${r.Weight} %${seen}${r.Reason ? ` — ${r.Reason}` : ''}`;
}

/** Events, newest first (the API lists them oldest first). */
export function EventList({ events }) {
  if (!events.length) return html`<p class="muted">No events.</p>`;
  return html`<table class="grid compact" data-table="events">
    <thead><tr><th>Time</th><th>Type</th><th>Reason</th><th>Instance</th><th>Message</th></tr></thead>
    <tbody>${[...events].reverse().map((e) => html`<tr class=${e.Type === 'Warning' ? 'warning' : ''}>
      <td title=${e.Time}>${time(e.Time)}</td><td><${StateBadge} state=${e.Type} /></td><td>${e.Reason}</td>
      <td>${e.Instance ?? ''}</td><td class="message">${e.Message}</td></tr>`)}</tbody>
  </table>`;
}
