import { useState } from 'preact/hooks';
import { api, session } from '../lib/api.js';
import { html } from '../lib/html.js';
import { ErrorBox } from '../lib/ui.js';

export function SignIn() {
  const [token, setToken] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('/services', { token: token.trim() });
      session.signIn(token.trim());
    } catch (err) {
      setError(err.status === 401 ? { message: 'That is not the admin token of this server.', code: 'Unauthorized' } : err);
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="signin">
    <form onSubmit=${submit} class="card">
      <h1>OpenEAS</h1>
      <p class="muted">Sign in with the server's admin token: <code>EAS_ADMIN_TOKEN</code>, or the file <code>admin_token</code> in its data directory (<code>.eas/admin_token</code>). It is kept for this browser tab's session only.</p>
      <label class="field"><span class="label">Admin token</span>
        <input type="password" name="token" autocomplete="current-password" autofocus value=${token} onInput=${(e) => setToken(e.target.value)} />
      </label>
      <${ErrorBox} error=${error} />
      <div class="actions"><button class="primary" type="submit" disabled=${busy || !token.trim()}>Sign in</button></div>
    </form>
  </div>`;
}
