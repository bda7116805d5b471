import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useEffect, useRef } from 'preact/hooks';
import { html } from './html.js';
import { bytes, num } from './format.js';

const palette = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2'];

export function formatUnit(value, unit) {
  if (value === null || value === undefined) return '–';
  if (unit === 'bytes') return bytes(value);
  if (unit === 'ms') return `${num(value)} ms`;
  if (unit === '%') return `${num(value)} %`;
  return num(value, 2);
}

// Ticks on whole seconds at least (a few seconds of a stress job must not read :03.250).
const timeIncrs = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];

function timeLabels(u, ticks) {
  const span = (u.scales.x.max ?? 0) - (u.scales.x.min ?? 0);
  return ticks.map((t) => {
    const d = new Date(t * 1000);
    if (span > 86400) return d.toLocaleString('en-GB', { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
    return d.toLocaleTimeString('en-GB', span > 1800 ? { hour: '2-digit', minute: '2-digit', hour12: false } : { hour12: false });
  });
}

/**
 * A per-second time-series chart (uPlot). data: [unixSeconds[], ...values[]] with one values array per series;
 * xRange: [from, to] in unix seconds to show a fixed time range (else the data's own).
 * The container carries data-points and data-max so a reader (or a test) can tell what it drew.
 */
export function Chart({ name, title, series, data, unit = '', height = 170, xRange = null }) {
  const el = useRef();
  const plot = useRef();
  const shown = useRef(xRange);
  shown.current = xRange;
  const key = series.map((s) => s.label).join('|') + unit;
  useEffect(() => {
    const width = () => Math.max(200, el.current.clientWidth);
    plot.current = new uPlot(
      {
        width: width(),
        height,
        legend: { live: true },
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: true, range: (u, min, max) => shown.current ?? [min, max] }, y: { range: (u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } },
        axes: [
          { stroke: '#6b7280', grid: { stroke: '#eef0f3' }, incrs: timeIncrs, values: timeLabels },
          { stroke: '#6b7280', grid: { stroke: '#eef0f3' }, size: 64, values: (u, values) => values.map((v) => formatUnit(v, unit)) },
        ],
        series: [
          { value: (u, v) => (v === null ? '–' : new Date(v * 1000).toLocaleTimeString('en-GB', { hour12: false })) },
          ...series.map((s, i) => ({
            label: s.label,
            stroke: s.color ?? palette[i % palette.length],
            fill: s.fill ? `${s.color ?? palette[i % palette.length]}22` : undefined,
            width: 1.5,
            dash: s.dash,
            spanGaps: false,
            value: (u, v) => formatUnit(v, unit),
          })),
        ],
      },
      data,
      el.current,
    );
    // A resize can be delivered after the chart is gone (the tab changed): it is then ignored.
    const resize = new ResizeObserver(() => el.current && plot.current?.setSize({ width: width(), height }));
    resize.observe(el.current);
    return () => {
      resize.disconnect();
      plot.current.destroy();
      plot.current = null;
    };
  }, [key]);
  useEffect(() => {
    plot.current?.setData(data);
  }, [data, xRange?.[0], xRange?.[1]]);
  let max = 0;
  for (let s = 1; s < data.length; s++) for (const v of data[s]) if (v !== null && v > max) max = v;
  return html`<figure class="chart" data-chart=${name} data-points=${data[0].length} data-max=${max}>
    <figcaption>${title}</figcaption>
    <div ref=${el} class="plot"></div>
  </figure>`;
}

/** Columns for Chart from a list of points: time (ISO) to unix seconds, then one accessor per series. */
export function columns(points, accessors) {
  const xs = new Array(points.length);
  const ys = accessors.map(() => new Array(points.length));
  points.forEach((p, i) => {
    xs[i] = Math.floor(new Date(p.time).getTime() / 1000);
    accessors.forEach((get, k) => {
      ys[k][i] = get(p);
    });
  });
  return [xs, ...ys];
}
