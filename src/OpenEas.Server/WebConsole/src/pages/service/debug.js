import { useMemo, useState } from 'preact/hooks';
import { api, enc } from '../../lib/api.js';
import { bytes, ms } from '../../lib/format.js';
import { useAction } from '../../lib/hooks.js';
import { html } from '../../lib/html.js';
import { CopyButton, ErrorBox, Field } from '../../lib/ui.js';
import { equivalents } from './snippets.js';

const methods = ['POST', 'GET', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

/** Headers typed one per line as "Name: value". */
export function parseHeaders(text) {
  const headers = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return headers;
}

/** One call through the gateway, as a client makes it; the answer with status, headers, timing and body. */
export function DebugTab({ name, service }) {
  const [method, setMethod] = useState('POST');
  const [path, setPath] = useState('');
  const [headerText, setHeaderText] = useState('');
  const [mode, setMode] = useState('text');
  const [body, setBody] = useState('hello eas');
  const [file, setFile] = useState(null);
  const [answer, setAnswer] = useState(null);
  const [jsonError, setJsonError] = useState(null);
  const action = useAction();
  const headers = useMemo(() => parseHeaders(headerText), [headerText]);
  if (mode === 'json' && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';

  const send = async (e) => {
    e.preventDefault();
    setJsonError(null);
    const call = { method, path, headers };
    if (mode === 'json') {
      try {
        JSON.parse(body);
      } catch (err) {
        setJsonError({ errors: [{ path: 'body', message: `not JSON: ${err.message}` }] });
        return;
      }
      call.body = body;
    } else if (mode === 'file') {
      if (file) call.bodyBase64 = file.base64;
    } else call.body = body;
    const result = await action.run(() => api(`/services/${enc(name)}/debug`, { method: 'POST', body: call }));
    if (result) setAnswer(result);
  };

  const pickFile = async (e) => {
    const f = e.target.files[0];
    if (!f) return setFile(null);
    const data = new Uint8Array(await f.arrayBuffer());
    let binary = '';
    for (let i = 0; i < data.length; i += 0x8000) binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
    setFile({ name: f.name, size: f.size, base64: btoa(binary) });
  };

  const bodyShown = mode === 'file' ? (file ? `@${file.name}` : '') : body;
  const snippets = equivalents({ service, method, path, headers, body: bodyShown, file: mode === 'file' });
  return html`<div class="debug">
    <form class="debug-form" onSubmit=${send} data-form="debug">
      <div class="row">
        <${Field} label="Method" path="method" error=${action.error}>
          <select name="method" value=${method} onChange=${(e) => setMethod(e.target.value)}>${methods.map((m) => html`<option>${m}</option>`)}</select>
        </${Field}>
        <${Field} label=${`Path after ${service.InternetEndpoint}/`} path="path" error=${action.error}>
          <input name="path" placeholder="e.g. v1/chat?x=1 (empty: the service root)" value=${path} onInput=${(e) => setPath(e.target.value)} />
        </${Field}>
      </div>
      <${Field} label="Headers (one per line, Name: value; the service token is added)" path="headers" error=${action.error}>
        <textarea name="headers" rows="2" spellcheck="false" value=${headerText} onInput=${(e) => setHeaderText(e.target.value)}></textarea>
      </${Field}>
      <div class="body-mode">
        <span class="label">Body</span>
        ${['text', 'json', 'file'].map((m) => html`<label class="check"><input type="radio" name="body-mode" value=${m} checked=${mode === m} onChange=${() => setMode(m)} /> ${m === 'json' ? 'JSON' : m}</label>`)}
      </div>
      ${mode === 'file'
        ? html`<input type="file" name="body-file" onChange=${pickFile} />${file ? html` <span class="muted">${file.name}, ${bytes(file.size)}</span>` : null}`
        : html`<${Field} label="" path="body" error=${jsonError ?? action.error}>
            <textarea name="body" rows="6" spellcheck="false" class="mono" value=${body} onInput=${(e) => setBody(e.target.value)}></textarea></${Field}>`}
      <${ErrorBox} error=${action.error} />
      <div class="actions"><button class="primary" type="submit" disabled=${action.busy} data-action="send">${action.busy ? 'Calling…' : 'Send'}</button></div>
    </form>
    ${answer ? html`<${Answer} answer=${answer} />` : null}
    <h3>The same call elsewhere</h3>
    ${snippets.map((s) => html`<div class="snippet" data-snippet=${s.id}>
      <div class="snippet-head"><strong>${s.label}</strong> <${CopyButton} text=${s.code} /></div>
      <pre class="code">${s.code}</pre>
    </div>`)}
  </div>`;
}

function Answer({ answer }) {
  let body = answer.body;
  const type = answer.headers['Content-Type'] ?? '';
  if (body !== null && type.includes('json')) {
    try {
      body = JSON.stringify(JSON.parse(body), null, 2);
    } catch {
      // shown as sent
    }
  }
  const tone = answer.status < 300 ? 'ok' : answer.status < 500 ? 'busy' : 'bad';
  return html`<div class="answer" data-answer>
    <div class="answer-head"><span class="badge ${tone}" data-status>${answer.status}</span>
      <span data-elapsed>${ms(answer.elapsedMs)}</span> <span class="muted">${bytes(atob(answer.bodyBase64).length)}</span></div>
    <table class="grid compact headers">${Object.entries(answer.headers).map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}</table>
    <pre class="code response-body" data-response-body>${body ?? `(binary, base64) ${answer.bodyBase64}`}</pre>
  </div>`;
}
