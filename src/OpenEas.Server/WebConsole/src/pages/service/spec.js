import { useState } from 'preact/hooks';
import { api, enc } from '../../lib/api.js';
import { pretty } from '../../lib/format.js';
import { useAction } from '../../lib/hooks.js';
import { html } from '../../lib/html.js';
import { mergePatch, tryParse } from '../../lib/spec.js';
import { ErrorBox, JsonEditor, confirmDialog } from '../../lib/ui.js';

/** The current version's spec, editable: saving sends the difference as a merge patch, which makes a new version. */
export function SpecTab({ name, service, reload }) {
  const current = pretty(service.ServiceConfig);
  const [base, setBase] = useState(current);
  const [text, setText] = useState(current);
  const [result, setResult] = useState(null);
  const action = useAction();
  const edited = text !== base;
  // A new version made elsewhere replaces an unedited text.
  if (!edited && base !== current) {
    setBase(current);
    setText(current);
  }
  const save = async () => {
    const to = tryParse(text);
    const patch = to ? mergePatch(JSON.parse(base), to) : null;
    if (patch && Object.keys(patch).length === 0) {
      setResult('Nothing changed.');
      return;
    }
    const ok = await confirmDialog({ title: `Save ${name}`, message: `Make a new version of ${name} from this spec and roll it out?`, confirmLabel: 'Save' });
    if (!ok) return;
    const answer = await action.run(() => api(`/services/${enc(name)}`, { method: 'PUT', body: patch ?? text }));
    if (answer) {
      setResult(answer.Change === 'new-version' ? `Version ${answer.Service.LatestVersion} is rolling out.` : `Done (${answer.Change}).`);
      setBase(pretty(answer.Service.ServiceConfig));
      setText(pretty(answer.Service.ServiceConfig));
      reload();
    }
  };
  return html`<div>
    <p class="muted">Version ${service.CurrentVersion}. Saving sends what you changed (a removed key as <code>null</code>) and makes a new version, rolled out without a failed call.</p>
    <${JsonEditor} name="service-spec" value=${text} onInput=${(v) => {
      setText(v);
      setResult(null);
    }} findings=${action.error?.errors ?? []} rows=${24} />
    <${ErrorBox} error=${action.error} findings=${false} />
    ${result ? html`<div class="ok-box" data-result>${result}</div>` : null}
    <div class="actions">
      <button disabled=${!edited} onClick=${() => setText(base)}>Reset</button>
      <button class="primary" disabled=${!edited || action.busy} onClick=${save} data-action="save-spec">Save as a new version</button>
    </div>
  </div>`;
}
