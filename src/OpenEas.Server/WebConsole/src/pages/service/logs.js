import { useEffect, useRef, useState } from 'preact/hooks';
import { api, enc } from '../../lib/api.js';
import { html } from '../../lib/html.js';
import { query } from '../../lib/router.js';
import { ErrorBox } from '../../lib/ui.js';
import { InstanceSelect } from './instances.js';

const MaxLines = 5000;

/** The instances' output: the last lines, then (when following) new lines as they are written. */
export function LogsTab({ name }) {
  const [instance, setInstance] = useState(query().get('instance') ?? '');
  const [follow, setFollow] = useState(true);
  const [tail, setTail] = useState(200);
  const [lines, setLines] = useState([]);
  const [state, setState] = useState({ streaming: false, error: null });
  const box = useRef();
  const pinned = useRef(true);

  useEffect(() => {
    const abort = new AbortController();
    setLines([]);
    setState({ streaming: true, error: null });
    (async () => {
      try {
        const params = new URLSearchParams({ tail: String(tail), follow: String(follow) });
        if (instance) params.set('instance', instance);
        const response = await api(`/services/${enc(name)}/logs?${params}`, { raw: true, signal: abort.signal });
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let partial = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const text = partial + value;
          const cut = text.lastIndexOf('\n');
          partial = cut < 0 ? text : text.slice(cut + 1);
          if (cut >= 0) {
            const fresh = text.slice(0, cut).split('\n');
            setLines((old) => {
              const all = old.concat(fresh);
              return all.length > MaxLines ? all.slice(all.length - MaxLines) : all;
            });
          }
        }
        setState({ streaming: false, error: null });
      } catch (error) {
        if (error.name !== 'AbortError') setState({ streaming: false, error });
      }
    })();
    return () => abort.abort();
  }, [name, instance, follow, tail]);

  useEffect(() => {
    if (pinned.current && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines]);

  return html`<div class="logs">
    <div class="toolbar">
      <label class="field compact"><span class="label">Instance</span>
        <${InstanceSelect} name=${name} value=${instance} onChange=${setInstance} noneLabel="all instances" /></label>
      <label class="field compact"><span class="label">Last lines</span>
        <select value=${tail} onChange=${(e) => setTail(Number(e.target.value))}>${[50, 200, 1000, 5000].map((n) => html`<option value=${n}>${n}</option>`)}</select></label>
      <label class="check"><input type="checkbox" name="follow" checked=${follow} onChange=${(e) => setFollow(e.target.checked)} /> Follow</label>
      <span class="muted" data-log-state>${state.streaming ? (follow ? 'following…' : 'loading…') : `${lines.length} lines`}</span>
      <button class="small" onClick=${() => setLines([])}>Clear</button>
    </div>
    <${ErrorBox} error=${state.error} />
    <pre class="log-box" ref=${box} data-logs onScroll=${(e) => {
      const el = e.target;
      pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 30;
    }}>${lines.length ? lines.join('\n') : html`<span class="muted">${state.streaming ? 'Waiting for output…' : 'No output.'}</span>`}</pre>
  </div>`;
}
