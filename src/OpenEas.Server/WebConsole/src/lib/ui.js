import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { findingsFor, lineOf, pathOffsets } from './jsonpath.js';

const tones = {
  Running: 'ok', Ready: 'ok', Succeeded: 'ok', Inactive: 'off',
  Creating: 'busy', Updating: 'busy', Scaling: 'busy', Starting: 'busy', Pending: 'busy', Waiting: 'busy', Draining: 'busy', Deleting: 'busy',
  Stopped: 'off', Exited: 'off', Cancelled: 'off',
  Failed: 'bad', Firing: 'bad', Warning: 'bad', Normal: 'off',
};

export function StateBadge({ state }) {
  return html`<span class="badge ${tones[state] ?? 'off'}" data-state=${state}>${state}</span>`;
}

/** An error from the API: its message, and its findings when no field shows them. */
export function ErrorBox({ error, findings = true }) {
  if (!error) return null;
  return html`<div class="error-box" role="alert">
    <strong>${error.code || (error.status ? `HTTP ${error.status}` : 'Error')}</strong> ${error.errors?.length && findings ? '' : error.message}
    ${findings && error.errors?.length
      ? html`<ul>${error.errors.map((e) => html`<li><code>${e.path || '(body)'}</code> ${e.message}</li>`)}</ul>`
      : null}
  </div>`;
}

/** The findings for one field, shown under it. */
export function FieldError({ error, path }) {
  const found = findingsFor(error?.errors, path);
  if (!found.length) return null;
  return html`<div class="field-error" data-path=${path}>${found.map((e) => html`<div>${e.message}</div>`)}</div>`;
}

export function Field({ label, path, error, hint, children }) {
  const bad = findingsFor(error?.errors, path).length > 0;
  return html`<label class="field ${bad ? 'invalid' : ''}" data-field=${path}>
    <span class="label">${label}</span>
    ${children}
    ${hint ? html`<span class="hint">${hint}</span>` : null}
    <${FieldError} error=${error} path=${path} />
  </label>`;
}

export function CopyButton({ text, label = 'Copy' }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = document.createElement('textarea');
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    setDone(true);
    setTimeout(() => setDone(false), 1200);
  };
  return html`<button type="button" class="small" onClick=${copy}>${done ? 'Copied' : label}</button>`;
}

export function Tabs({ tabs, active, base }) {
  return html`<nav class="tabs">${tabs.map(
    (t) => html`<a href=${`#${base}/${t.id}`} class=${t.id === active ? 'active' : ''} data-tab=${t.id}>${t.label}</a>`,
  )}</nav>`;
}

export function Loading({ what = '' }) {
  return html`<div class="muted">Loading${what ? ` ${what}` : ''}…</div>`;
}

/**
 * A modal confirmation. typeToConfirm: the user must type this word (a name) first.
 * Resolves true when confirmed.
 */
export function confirmDialog({ title, message, confirmLabel = 'Confirm', danger = false, typeToConfirm = null }) {
  return new Promise((resolve) => {
    const host = document.createElement('div');
    document.body.append(host);
    const close = (ok) => {
      render(null, host);
      host.remove();
      resolve(ok);
    };
    render(html`<${Confirm} ...${{ title, message, confirmLabel, danger, typeToConfirm, close }} />`, host);
  });
}

function Confirm({ title, message, confirmLabel, danger, typeToConfirm, close }) {
  const ref = useRef();
  const [typed, setTyped] = useState('');
  useEffect(() => {
    ref.current.showModal();
  }, []);
  const ok = !typeToConfirm || typed === typeToConfirm;
  return html`<dialog ref=${ref} class="confirm" onCancel=${(e) => {
    e.preventDefault();
    close(false);
  }}>
    <form method="dialog" onSubmit=${(e) => {
      e.preventDefault();
      if (ok) close(true);
    }}>
      <h3>${title}</h3>
      <p>${message}</p>
      ${typeToConfirm
        ? html`<label class="field"><span class="label">Type <code>${typeToConfirm}</code> to confirm</span>
            <input name="confirm-name" autofocus value=${typed} onInput=${(e) => setTyped(e.target.value)} /></label>`
        : null}
      <div class="actions">
        <button type="button" onClick=${() => close(false)}>Cancel</button>
        <button type="submit" class=${danger ? 'danger' : 'primary'} disabled=${!ok} data-confirm>${confirmLabel}</button>
      </div>
    </form>
  </dialog>`;
}

/**
 * A JSON text editor that shows each finding on the line of its JSON path, to the right of the text, and lists
 * them underneath. findings: [{path, message}]; stripPrefix: a prefix of the paths the text does not have
 * (the autoscaler editor edits what the server calls autoscaler.*).
 */
export function JsonEditor({ value, onInput, findings = [], rows = 18, name = 'spec', stripPrefix = '', readOnly = false }) {
  const area = useRef();
  const overlay = useRef();
  const gutter = useRef();
  const lines = value.split('\n');
  const marks = useMemo(() => {
    const offsets = pathOffsets(value);
    const byLine = new Map();
    const unplaced = [];
    for (const f of findings) {
      const path = stripPrefix && f.path.startsWith(stripPrefix) ? f.path.slice(stripPrefix.length) : f.path;
      const line = lineOf(value, path, f.message, offsets);
      if (line && line <= lines.length) {
        if (!byLine.has(line)) byLine.set(line, []);
        byLine.get(line).push(f);
      } else unplaced.push(f);
    }
    return { byLine, unplaced };
  }, [value, findings]);
  const sync = () => {
    overlay.current.scrollTop = area.current.scrollTop;
    overlay.current.scrollLeft = area.current.scrollLeft;
    gutter.current.scrollTop = area.current.scrollTop;
  };
  useEffect(sync, [value]);
  return html`<div class="json-editor" data-editor=${name}>
    <div class="editor-frame" style=${`--rows:${rows}`}>
      <pre class="gutter" ref=${gutter} aria-hidden="true">${lines.map((_, i) =>
        html`<div class=${marks.byLine.has(i + 1) ? 'bad' : ''}>${i + 1}</div>`)}</pre>
      <div class="editor-body">
        <pre class="overlay" ref=${overlay} aria-hidden="true">${lines.map((l, i) => {
          const here = marks.byLine.get(i + 1);
          return html`<div class=${here ? 'bad' : ''}><span class="ghost">${l || ' '}</span>${here
            ? html`<span class="inline-error" data-path=${here.map((f) => f.path).join(' ')}>  ← ${here.map((f) => `${f.path ? `${f.path}: ` : ''}${f.message}`).join('; ')}</span>`
            : null}</div>`;
        })}</pre>
        <textarea ref=${area} name=${name} spellcheck="false" readOnly=${readOnly} value=${value} wrap="off"
          onInput=${(e) => onInput?.(e.target.value)} onScroll=${sync}></textarea>
      </div>
    </div>
    ${findings.length
      ? html`<ul class="findings">${findings.map((f) => {
          const path = stripPrefix && f.path.startsWith(stripPrefix) ? f.path.slice(stripPrefix.length) : f.path;
          const line = lineOf(value, path, f.message);
          return html`<li data-path=${f.path}>${line ? html`<a href="#" onClick=${(e) => {
            e.preventDefault();
            goToLine(area.current, line);
          }}>line ${line}</a> ` : null}<code>${f.path || '(body)'}</code> ${f.message}</li>`;
        })}</ul>`
      : null}
  </div>`;
}

function goToLine(area, line) {
  const text = area.value;
  let offset = 0;
  for (let l = 1; l < line; l++) offset = text.indexOf('\n', offset) + 1;
  area.focus();
  area.setSelectionRange(offset, offset);
  const height = parseFloat(getComputedStyle(area).lineHeight) || 18;
  area.scrollTop = Math.max(0, (line - 3) * height);
}
