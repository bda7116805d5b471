// The control API client: every call carries the admin token kept for this browser session; errors become
// ApiError with the ProblemDetails' code and its field findings ({path, message}).

const KEY = 'openeas.adminToken';

export const session = {
  get token() {
    return sessionStorage.getItem(KEY);
  },
  signIn(token) {
    sessionStorage.setItem(KEY, token);
    window.dispatchEvent(new Event('openeas:session'));
  },
  signOut() {
    sessionStorage.removeItem(KEY);
    window.dispatchEvent(new Event('openeas:session'));
  },
};

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || problem?.message || `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code ?? '';
    this.title = problem?.title ?? '';
    this.errors = Array.isArray(problem?.errors) ? problem.errors : [];
  }
}

/** Calls /api/v2{path}. body: a string (sent as is) or a value (sent as JSON). raw: return the Response. */
export async function api(path, { method = 'GET', body, raw = false, signal, token = session.token } = {}) {
  const headers = { Authorization: `Bearer ${token ?? ''}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(`/api/v2${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, { detail: `the server did not answer (${e.message})` });
  }
  if (!response.ok) {
    let problem = null;
    try {
      problem = await response.json();
    } catch {
      problem = { detail: `${response.status} ${response.statusText}` };
    }
    // A token that stopped working (server restarted with another one) ends the session.
    if (response.status === 401 && token === session.token) session.signOut();
    throw new ApiError(response.status, problem);
  }
  if (raw) return response;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

export const enc = encodeURIComponent;
