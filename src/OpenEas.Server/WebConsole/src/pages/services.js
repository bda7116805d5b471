import { api } from '../lib/api.js';
import { ago, ms, num } from '../lib/format.js';
import { usePoll } from '../lib/hooks.js';
import { html } from '../lib/html.js';
import { ErrorBox, Loading, StateBadge } from '../lib/ui.js';

/** Every service with its state, instances, load and version, refreshed every two seconds. */
export function ServicesPage() {
  const { data, error } = usePoll(async () => {
    const [services, metrics] = await Promise.all([api('/services'), api('/metrics/services')]);
    const latest = new Map(metrics.map((m) => [m.service, m.points[0]]));
    return services.map((s) => ({ ...s, load: latest.get(s.ServiceName) }));
  }, 2000);
  return html`<section>
    <header class="page-head">
      <h1>Services</h1>
      <a class="button primary" href="#/services/new" data-action="create">Create service</a>
    </header>
    <${ErrorBox} error=${error} />
    ${data === undefined ? html`<${Loading} />` : data.length === 0
      ? html`<div class="empty"><p>No services yet.</p><p><a href="#/services/new">Create one</a> from JSON or from an example, or run <code>eas create spec.json</code>.</p></div>`
      : html`<table class="grid" data-table="services">
        <thead><tr><th>Name</th><th>State</th><th class="num">Instances</th><th class="num">QPS</th><th class="num">p99</th><th class="num">Version</th><th>Resource</th><th>Updated</th></tr></thead>
        <tbody>${data.map((s) => html`<tr data-service=${s.ServiceName}>
          <td><a href=${`#/services/${encodeURIComponent(s.ServiceName)}`}>${s.ServiceName}</a>${s.ServiceGroup ? html` <span class="muted">(${s.ServiceGroup})</span>` : null}</td>
          <td><${StateBadge} state=${s.Status} /> <span class="reason" title=${s.Message}>${s.Reason}</span></td>
          <td class="num" data-col="instances">${s.RunningInstance}/${s.TotalInstance}</td>
          <td class="num" data-col="qps">${num(s.load?.qps ?? 0)}</td>
          <td class="num">${s.load && s.load.requests > 0 ? ms(s.load.p99Ms) : '–'}</td>
          <td class="num">${s.CurrentVersion}${s.LatestVersion !== s.CurrentVersion ? html` <span class="muted">(latest ${s.LatestVersion})</span>` : null}</td>
          <td>${s.Resource}</td>
          <td title=${s.UpdateTime}>${ago(s.UpdateTime)}</td>
        </tr>`)}</tbody>
      </table>`}
  </section>`;
}
