import { useMemo, useState } from 'preact/hooks';
import { api, enc } from '../lib/api.js';
import { Chart, columns } from '../lib/chart.js';
import { usePoll } from '../lib/hooks.js';
import { html } from '../lib/html.js';
import { ErrorBox } from '../lib/ui.js';

/** Time ranges offered; up to an hour is read per second and refreshed every 2 s. */
export const ranges = [
  { id: '5m', label: '5 min', seconds: 300 },
  { id: '15m', label: '15 min', seconds: 900 },
  { id: '1h', label: '1 hour', seconds: 3600 },
  { id: '6h', label: '6 hours', seconds: 21600 },
  { id: '24h', label: '24 hours', seconds: 86400 },
  { id: '7d', label: '7 days', seconds: 604800 },
];

export function RangePicker({ value, onChange }) {
  return html`<div class="range-picker" role="group" aria-label="Time range">${ranges.map(
    (r) => html`<button type="button" class=${r.id === value ? 'chip active' : 'chip'} data-range=${r.id} onClick=${() => onChange(r.id)}>${r.label}</button>`,
  )}</div>`;
}

/** Per-second charts of one service, or of one of its instances: QPS, latency, errors, CPU, memory, instances. */
export function Monitoring({ service, instance = '' }) {
  const [range, setRange] = useState('5m');
  const r = ranges.find((x) => x.id === range);
  const series = usePoll(() => {
    const params = new URLSearchParams({ from: `-${r.seconds}s` });
    if (instance) params.set('instance', instance);
    return api(`/services/${enc(service)}/metrics?${params}`);
  }, r.seconds <= 3600 ? 2000 : 30000, [service, instance, range]);
  const points = series.data?.points ?? [];
  const step = series.data?.step ?? 1;
  // The whole range is shown, up to now (or the newest point, should this browser's clock be behind the server's).
  const newest = points.length ? Math.floor(new Date(points[points.length - 1].time).getTime() / 1000) : 0;
  const to = Math.max(Math.floor(Date.now() / 1000), newest);
  const xRange = series.data ? [to - r.seconds, to] : null;
  const charts = useMemo(() => {
    const per = (v, p) => v / (p.seconds || step);
    return [
      { name: 'qps', title: 'Calls per second', unit: '', series: [{ label: 'answered' }, { label: 'arrived', color: '#9ca3af', dash: [4, 4] }], data: columns(points, [(p) => p.qps, (p) => per(p.arrivals, p)]) },
      { name: 'latency', title: 'Latency', unit: 'ms', series: [{ label: 'p50', color: '#16a34a' }, { label: 'p90', color: '#d97706' }, { label: 'p99', color: '#dc2626' }, { label: 'max', color: '#9ca3af' }],
        data: columns(points, [(p) => (p.requests ? p.p50Ms : null), (p) => (p.requests ? p.p90Ms : null), (p) => (p.requests ? p.p99Ms : null), (p) => (p.requests ? p.maxMs : null)]) },
      { name: 'errors', title: 'Errors per second', unit: '', series: [{ label: '4xx', color: '#d97706' }, { label: '5xx', color: '#dc2626' }, { label: 'refused by the gateway', color: '#7c3aed' }],
        data: columns(points, [(p) => per(p.status4xx, p), (p) => per(p.status5xx, p), (p) => per(p.rejected, p)]) },
      { name: 'cpu', title: 'CPU (% of one core)', unit: '%', series: [{ label: 'cpu', fill: true }], data: columns(points, [(p) => p.cpuPercent]) },
      { name: 'memory', title: 'Memory (resident)', unit: 'bytes', series: [{ label: 'memory', color: '#7c3aed', fill: true }], data: columns(points, [(p) => p.memoryBytes]) },
      ...(instance ? [] : [{ name: 'instances', title: 'Ready instances and calls in flight', unit: '', series: [{ label: 'ready', color: '#16a34a' }, { label: 'in flight', color: '#2563eb' }, { label: 'waiting', color: '#dc2626' }],
        data: columns(points, [(p) => p.instances, (p) => p.inFlight, (p) => p.waiting]) }]),
    ];
  }, [points, step, instance]);
  return html`<div class="monitoring" data-monitoring=${instance || service}>
    <div class="toolbar">
      <${RangePicker} value=${range} onChange=${setRange} />
      <span class="muted">${step === 1 ? 'per second' : `per ${step / 60} min`}, ${points.length} points</span>
    </div>
    <${ErrorBox} error=${series.error} />
    <div class="charts">${charts.map((c) => html`<${Chart} key=${c.name} xRange=${xRange} ...${c} />`)}</div>
  </div>`;
}
