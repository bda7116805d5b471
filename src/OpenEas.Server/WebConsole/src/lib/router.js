import { useEffect, useState } from 'preact/hooks';

// Hash routes (#/services/echo/logs): the server serves one page at /, every view is a route here.

export function currentPath() {
  const hash = location.hash.replace(/^#/, '');
  return hash.split('?')[0] || '/services';
}

export function query() {
  const hash = location.hash.replace(/^#/, '');
  const i = hash.indexOf('?');
  return new URLSearchParams(i < 0 ? '' : hash.slice(i + 1));
}

export function navigate(path) {
  location.hash = path;
}

export function href(path) {
  return `#${path}`;
}

/** Matches '/services/:name/:tab' against a path; returns the parameters or null. */
export function match(pattern, path) {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  const params = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) params[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return null;
  }
  return params;
}

export function useRoute() {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const changed = () => setPath(currentPath());
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return path;
}
