import { useMemo, useState } from 'preact/hooks';
import { api, enc } from '../../lib/api.js';
import { diffLines } from '../../lib/diff.js';
import { pretty, time } from '../../lib/format.js';
import { useAction, usePoll } from '../../lib/hooks.js';
import { html } from '../../lib/html.js';
import { ErrorBox, Loading, confirmDialog } from '../../lib/ui.js';

/** Versions with the current and latest marked, a switch (roll forward or back) and a diff of any two. */
export function VersionsTab({ name, service, reload }) {
  const versions = usePoll(() => api(`/services/${enc(name)}/versions`), 5000, [name, service.LatestVersion, service.CurrentVersion]);
  const action = useAction();
  const list = versions.data ?? [];
  const newest = list.length ? list[list.length - 1].Version : 0;
  const [pair, setPair] = useState(null);
  const from = pair?.[0] ?? Math.max(1, service.CurrentVersion - 1);
  const to = pair?.[1] ?? service.CurrentVersion;
  const diff = useMemo(() => {
    const a = list.find((v) => v.Version === from);
    const b = list.find((v) => v.Version === to);
    return a && b ? diffLines(pretty(a.ServiceConfig), pretty(b.ServiceConfig)) : null;
  }, [list, from, to]);
  const switchTo = async (v) => {
    const ok = await confirmDialog({ title: `Switch ${name} to version ${v}`, message: `Roll ${name} from version ${service.CurrentVersion} to version ${v}? Instances are replaced by a rolling update.`, confirmLabel: 'Switch' });
    if (ok && (await action.run(() => api(`/services/${enc(name)}/version`, { method: 'PUT', body: { version: v } }))) !== undefined) {
      reload();
      versions.reload();
    }
  };
  if (!versions.data) return versions.error ? html`<${ErrorBox} error=${versions.error} />` : html`<${Loading} />`;
  const choose = (k, v) => setPair(k === 0 ? [v, to] : [from, v]);
  return html`<div>
    <${ErrorBox} error=${action.error} />
    <table class="grid" data-table="versions">
      <thead><tr><th class="num">Version</th><th>Created</th><th></th><th>Compare</th><th></th></tr></thead>
      <tbody>${[...list].reverse().map((v) => html`<tr data-version=${v.Version}>
        <td class="num">${v.Version}</td><td>${time(v.CreateTime)}</td>
        <td>${v.Current ? html`<span class="badge ok">current</span>` : null} ${v.Version === newest ? html`<span class="badge off">latest</span>` : null}</td>
        <td><label class="check"><input type="radio" name="from" checked=${v.Version === from} onChange=${() => choose(0, v.Version)} /> from</label>
            <label class="check"><input type="radio" name="to" checked=${v.Version === to} onChange=${() => choose(1, v.Version)} /> to</label></td>
        <td>${v.Current ? null : html`<button class="small" disabled=${action.busy} onClick=${() => switchTo(v.Version)} data-action="switch">Switch to ${v.Version}</button>`}</td>
      </tr>`)}</tbody>
    </table>
    <h3>Version ${from} → ${to}</h3>
    ${diff ? html`<pre class="diff" data-diff>${diff.map((l) => html`<div class=${l.op === '+' ? 'add' : l.op === '-' ? 'del' : ''}>${l.op} ${l.text}</div>`)}</pre>` : null}
  </div>`;
}
