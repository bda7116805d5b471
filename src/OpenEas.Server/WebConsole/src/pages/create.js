import { useMemo, useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { setFlash } from '../lib/flash.js';
import { useAction, usePoll } from '../lib/hooks.js';
import { html } from '../lib/html.js';
import { navigate } from '../lib/router.js';
import { fromInput, getPath, setPath, tryParse } from '../lib/spec.js';
import { ErrorBox, Field, JsonEditor } from '../lib/ui.js';
import { pretty } from '../lib/format.js';

const blank = {
  name: 'my_service',
  containers: [{ script: 'python3 app.py', port: 8000 }],
  metadata: { instance: 1, cpu: 1, memory: 1000 },
};

/** The spec fields most services set, edited as a form; everything else in the JSON editor beside it. */
export const specFields = [
  { path: 'name', label: 'Name', hint: 'letters, digits and _; unique on this server' },
  { path: 'containers[0].script', label: 'Command', hint: 'run through sh -c; serve HTTP on $PORT' },
  { path: 'containers[0].port', label: 'Port', numeric: true },
  { path: 'metadata.instance', label: 'Instances', numeric: true },
  { path: 'metadata.cpu', label: 'CPU (cores)', numeric: true },
  { path: 'metadata.memory', label: 'Memory (MB)', numeric: true },
];

export function SpecForm({ text, onText, error }) {
  const spec = useMemo(() => tryParse(text), [text]);
  return html`<fieldset class="spec-form" disabled=${!spec}>
    ${!spec ? html`<p class="muted">Fix the JSON to edit it here.</p>` : null}
    ${specFields.map((f) => {
      const v = spec ? getPath(spec, f.path) : undefined;
      return html`<${Field} label=${f.label} path=${f.path} error=${error} hint=${f.hint}>
        <input name=${f.path} value=${v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)}
          inputmode=${f.numeric ? 'decimal' : undefined}
          onInput=${(e) => onText(pretty(setPath(tryParse(text), f.path, fromInput(e.target.value, f.numeric))))} />
      </${Field}>`;
    })}
  </fieldset>`;
}

export function CreatePage() {
  const [text, setText] = useState(pretty(blank));
  const action = useAction();
  const examples = usePoll(() => api('/examples'), 0);
  const [example, setExample] = useState('');
  const pick = (name) => {
    const found = examples.data?.find((x) => x.name === name);
    setExample(name);
    setText(pretty(found ? found.spec : blank));
  };
  const submit = async (e) => {
    e.preventDefault();
    const created = await action.run(() => api('/services', { method: 'POST', body: text }));
    if (created) {
      if (created.Warnings?.length) setFlash({ title: 'Created, with warnings', items: created.Warnings });
      navigate(`/services/${encodeURIComponent(created.ServiceName)}`);
    }
  };
  return html`<section>
    <header class="page-head"><h1>Create a service</h1></header>
    <form onSubmit=${submit} class="create" data-form="create">
      <div class="examples">
        <span class="label">Start from</span>
        <button type="button" class=${example === '' ? 'chip active' : 'chip'} onClick=${() => pick('')}>Blank</button>
        ${(examples.data ?? []).map((x) => html`<button type="button" class=${example === x.name ? 'chip active' : 'chip'} title=${x.description}
          data-example=${x.name} onClick=${() => pick(x.name)}>${x.name}</button>`)}
        ${example && examples.data ? html`<p class="muted">${examples.data.find((x) => x.name === example)?.description}</p>` : null}
      </div>
      <div class="split">
        <${SpecForm} text=${text} onText=${setText} error=${action.error} />
        <div>
          <span class="label">Spec (EAS service JSON; see docs/specs.md)</span>
          <${JsonEditor} value=${text} onInput=${setText} findings=${action.error?.errors ?? []} rows=${22} />
        </div>
      </div>
      <${ErrorBox} error=${action.error} findings=${false} />
      <div class="actions">
        <a class="button" href="#/services">Cancel</a>
        <button class="primary" type="submit" disabled=${action.busy} data-action="submit-create">Create</button>
      </div>
    </form>
  </section>`;
}
