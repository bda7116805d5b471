import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './style.css';
import { session } from './lib/api.js';
import { html } from './lib/html.js';
import { match, useRoute } from './lib/router.js';
import { pages } from './pages/index.js';
import { SignIn } from './pages/signin.js';

function useSession() {
  const [token, setToken] = useState(session.token);
  useEffect(() => {
    const changed = () => setToken(session.token);
    window.addEventListener('openeas:session', changed);
    return () => window.removeEventListener('openeas:session', changed);
  }, []);
  return token;
}

function App() {
  const token = useSession();
  const path = useRoute();
  if (!token) return html`<${SignIn} />`;
  let page = null;
  let params = null;
  for (const p of pages) {
    params = match(p.path, path);
    if (params) {
      page = p;
      break;
    }
  }
  const section = `/${path.split('/').filter(Boolean)[0] ?? ''}`;
  return html`<div class="shell">
    <aside class="sidebar">
      <a class="brand" href="#/services">OpenEAS</a>
      <nav>${pages.filter((p) => p.nav).map((p) => html`<a href=${`#${p.path}`} class=${p.path === section ? 'active' : ''} data-nav=${p.path}>${p.nav}</a>`)}</nav>
      <div class="sidebar-foot">
        <span class="muted">${location.host}</span>
        <button class="link" onClick=${() => session.signOut()} data-signout>Sign out</button>
      </div>
    </aside>
    <main class="content">
      ${page ? html`<${page.component} key=${path} ...${params} />` : html`<div class="empty"><h2>Not found</h2><p>No page at <code>${path}</code>. <a href="#/services">Services</a></p></div>`}
    </main>
  </div>`;
}

render(html`<${App} />`, document.getElementById('app'));
