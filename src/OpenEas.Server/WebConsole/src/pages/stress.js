import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, enc } from '../lib/api.js';
import { Chart, columns } from '../lib/chart.js';
import { ago, ms, num, time } from '../lib/format.js';
import { useAction, usePoll } from '../lib/hooks.js';
import { html } from '../lib/html.js';
import { navigate } from '../lib/router.js';
import { ErrorBox, Field, Loading, StateBadge, confirmDialog } from '../lib/ui.js';

const modes = [
  { id: 'rps', label: 'Fixed rate', field: 'rps', hint: 'calls per second (open loop: latency at that rate)', initial: '50' },
  { id: 'ramp', label: 'Ramp to the limit', field: 'ramp', hint: 'start:step:every, e.g. 50:50:5s (stops at the first failing step)', initial: '50:50:5s' },
  { id: 'concurrency', label: 'Concurrency', field: 'concurrency', hint: 'calls in flight (closed loop: peak throughput)', initial: '8' },
];

/** Launch a stress job (the eas bench generator, run by the server) and list past ones with their reports. */
export function StressPage() {
  const jobs = usePoll(() => api('/jobs'), 2000);
  const services = usePoll(() => api('/services'), 0);
  const action = useAction();
  const [mode, setMode] = useState('rps');
  const [form, setForm] = useState({ service: '', value: '50', duration: '30s', data: 'hello eas', method: 'POST', path: '', slo: '', maxErrors: '' });
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.value });
  const m = modes.find((x) => x.id === mode);
  const launch = async (e) => {
    e.preventDefault();
    const job = { kind: 'stress', service: form.service, duration: form.duration, data: form.data, method: form.method };
    job[m.field] = mode === 'ramp' ? form.value : Number(form.value);
    for (const k of ['path', 'slo', 'maxErrors']) if (form[k].trim()) job[k] = form[k].trim();
    const started = await action.run(() => api('/jobs', { method: 'POST', body: job }));
    if (started) navigate(`/stress/${encodeURIComponent(started.id)}`);
  };
  useEffect(() => {
    if (!form.service && services.data?.length) setForm((f) => ({ ...f, service: services.data[0].ServiceName }));
  }, [services.data]);
  return html`<section>
    <header class="page-head"><h1>Stress tests</h1></header>
    <form class="card" onSubmit=${launch} data-form="stress">
      <h3>Launch</h3>
      <div class="row">
        <${Field} label="Service" path="service" error=${action.error}>
          <select name="service" value=${form.service} onChange=${set('service')}>${(services.data ?? []).map((s) => html`<option>${s.ServiceName}</option>`)}</select></${Field}>
        <div class="field"><span class="label">Mode</span><div class="range-picker">${modes.map((x) => html`<button type="button" class=${x.id === mode ? 'chip active' : 'chip'}
          onClick=${() => { setMode(x.id); setForm({ ...form, value: x.initial }); }}>${x.label}</button>`)}</div></div>
        <${Field} label=${m.label} path=${m.field} error=${action.error} hint=${m.hint}><input name="value" value=${form.value} onInput=${set('value')} /></${Field}>
        <${Field} label="Duration" path="duration" error=${action.error} hint="at most 1h"><input name="duration" size="6" value=${form.duration} onInput=${set('duration')} /></${Field}>
      </div>
      <div class="row">
        <${Field} label="Method" path="method" error=${action.error}><input name="method" size="6" value=${form.method} onInput=${set('method')} /></${Field}>
        <${Field} label="Path" path="path" error=${action.error}><input name="path" value=${form.path} onInput=${set('path')} /></${Field}>
        <${Field} label="SLO (ramp: p99 limit)" path="slo" error=${action.error}><input name="slo" size="8" placeholder="300ms" value=${form.slo} onInput=${set('slo')} /></${Field}>
        <${Field} label="Max errors" path="maxErrors" error=${action.error}><input name="maxErrors" size="6" placeholder="1%" value=${form.maxErrors} onInput=${set('maxErrors')} /></${Field}>
      </div>
      <${Field} label="Body" path="data" error=${action.error}><textarea name="data" rows="3" class="mono" value=${form.data} onInput=${set('data')}></textarea></${Field}>
      <${ErrorBox} error=${action.error} findings=${false} />
      <div class="actions"><button class="primary" type="submit" disabled=${action.busy || !form.service} data-action="launch">Launch</button></div>
    </form>
    <h3>Jobs</h3>
    <${ErrorBox} error=${jobs.error} />
    ${!jobs.data ? html`<${Loading} />` : jobs.data.length === 0 ? html`<p class="muted">No stress jobs yet.</p>` : html`<table class="grid" data-table="jobs">
      <thead><tr><th>Job</th><th>Service</th><th>State</th><th>Mode</th><th class="num">Achieved QPS</th><th class="num">Max sustainable</th><th class="num">p99</th><th class="num">Errors</th><th>Started</th></tr></thead>
      <tbody>${[...jobs.data].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map((j) => {
        const s = j.report?.summary;
        return html`<tr data-job=${j.id}>
          <td><a href=${`#/stress/${encodeURIComponent(j.id)}`}>${j.id}</a></td><td>${j.service}</td>
          <td><${StateBadge} state=${j.state} />${j.state === 'Running' ? ` ${Math.round(j.progress * 100)}%` : ''}</td>
          <td>${s?.mode ?? ''}</td><td class="num">${s ? num(s.achievedQps) : '–'}</td>
          <td class="num">${s?.maxSustainableQps ? num(s.maxSustainableQps) : '–'}</td>
          <td class="num">${s ? ms(s.p99Ms) : '–'}</td><td class="num">${s ? num(s.errors, 0) : '–'}</td>
          <td title=${j.createdAt}>${ago(j.createdAt)}</td></tr>`;
      })}</tbody>
    </table>`}
  </section>`;
}

/** One job: progress and live per-second charts while it runs; the summary and the HTML report when done. */
export function StressJobPage({ id }) {
  const job = usePoll(() => api(`/jobs/${enc(id)}`), 1000, [id]);
  const action = useAction();
  const [report, setReport] = useState(null);
  const j = job.data;
  const done = j && j.state !== 'Running';
  useEffect(() => {
    if (!done) return undefined;
    let url = null;
    api(`/jobs/${enc(id)}/report`, { raw: true })
      .then((r) => r.blob())
      .then((b) => {
        url = URL.createObjectURL(new Blob([b], { type: 'text/html' }));
        setReport(url);
      })
      .catch(() => setReport(null));
    return () => url && URL.revokeObjectURL(url);
  }, [done, id]);
  const seconds = j?.report?.seconds ?? [];
  const charts = useMemo(() => [
    { name: 'stress-qps', title: 'Offered and achieved QPS', series: [{ label: 'offered', color: '#9ca3af' }, { label: 'achieved' }], data: columns(seconds, [(s) => s.offeredQps, (s) => s.achievedQps]) },
    { name: 'stress-latency', title: 'Latency', unit: 'ms', series: [{ label: 'p50', color: '#16a34a' }, { label: 'p90', color: '#d97706' }, { label: 'p99', color: '#dc2626' }], data: columns(seconds, [(s) => s.p50Ms, (s) => s.p90Ms, (s) => s.p99Ms]) },
    { name: 'stress-errors', title: 'Errors and dropped per second', series: [{ label: 'errors', color: '#dc2626' }, { label: 'dropped', color: '#7c3aed' }], data: columns(seconds, [(s) => s.errors, (s) => s.dropped]) },
    { name: 'stress-cpu', title: "Instances' CPU (% of one core)", unit: '%', series: [{ label: 'cpu', fill: true }], data: columns(seconds, [(s) => s.cpuPercent ?? null]) },
  ], [seconds]);
  if (!j) return job.error ? html`<${ErrorBox} error=${job.error} />` : html`<${Loading} />`;
  const s = j.report?.summary;
  const cancel = async () => {
    if (await confirmDialog({ title: 'Stop the job', message: `Stop stress job ${j.id} on ${j.service}? What ran so far is kept.`, confirmLabel: 'Stop', danger: true })) {
      await action.run(() => api(`/jobs/${enc(id)}`, { method: 'DELETE' }));
      job.reload();
    }
  };
  return html`<section data-job-page=${j.id}>
    <header class="page-head">
      <div><div class="crumbs"><a href="#/stress">Stress tests</a> /</div>
        <h1>${j.id} <${StateBadge} state=${j.state} /></h1>
        <div class="reason">${j.service} · started ${time(j.createdAt)}${j.message ? ` · ${j.message}` : ''}</div></div>
      <div class="service-actions">
        ${j.state === 'Running' ? html`<button class="danger" onClick=${cancel} disabled=${action.busy}>Stop</button>` : null}
        ${report ? html`<a class="button primary" href=${report} target="_blank" rel="noopener" data-action="report">Open the HTML report</a>
          <a class="button" href=${report} download=${`stress-${j.id}.html`}>Download</a>` : null}
      </div>
    </header>
    <${ErrorBox} error=${action.error ?? job.error} />
    ${j.state === 'Running' ? html`<div class="progress"><span style=${`width:${Math.round(j.progress * 100)}%`}></span></div>` : null}
    ${s ? html`<dl class="facts inline">
      <dt>Mode</dt><dd>${s.mode}</dd><dt>Sent</dt><dd>${num(s.sent, 0)}</dd><dt>OK</dt><dd>${num(s.ok, 0)}</dd>
      <dt>Errors</dt><dd>${num(s.errors, 0)}${Object.keys(s.errorsByStatus ?? {}).length ? ` (${Object.entries(s.errorsByStatus).map(([k, v]) => `${k}: ${v}`).join(', ')})` : ''}</dd>
      <dt>Achieved</dt><dd>${num(s.achievedQps)} QPS</dd>${s.maxSustainableQps ? html`<dt>Max sustainable</dt><dd>${num(s.maxSustainableQps)} QPS</dd>` : null}
      <dt>p50 / p90 / p99 / max</dt><dd>${ms(s.p50Ms)} / ${ms(s.p90Ms)} / ${ms(s.p99Ms)} / ${ms(s.maxMs)}</dd>
      ${s.stopReason ? html`<dt>Stopped because</dt><dd>${s.stopReason}</dd>` : null}
    </dl>` : null}
    <div class="charts">${charts.map((c) => html`<${Chart} key=${c.name} ...${c} />`)}</div>
    ${j.report?.steps?.length ? html`<h3>Ramp steps</h3><table class="grid compact"><thead><tr><th class="num">Step</th><th class="num">Offered</th><th class="num">Achieved</th><th class="num">OK</th><th class="num">Errors</th><th class="num">p99</th><th>Verdict</th></tr></thead>
      <tbody>${j.report.steps.map((st) => html`<tr><td class="num">${st.index}</td><td class="num">${num(st.offeredQps)}</td><td class="num">${num(st.achievedQps)}</td>
        <td class="num">${st.ok}</td><td class="num">${st.errors}</td><td class="num">${ms(st.p99Ms)}</td><td>${st.verdict}</td></tr>`)}</tbody></table>` : null}
  </section>`;
}
