// Reading and writing one field of a spec object by the JSON path the server uses (containers[0].port).

export function tokens(path) {
  const out = [];
  for (const part of path.split('.')) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) return [path];
    if (m[1]) out.push(m[1]);
    for (const i of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(i[1]));
  }
  return out;
}

export function getPath(obj, path) {
  let v = obj;
  for (const t of tokens(path)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = v[t];
  }
  return v;
}

/** Sets (or with undefined removes) a value, creating the objects and arrays on the way. */
export function setPath(obj, path, value) {
  const ts = tokens(path);
  let v = obj;
  for (let i = 0; i < ts.length - 1; i++) {
    if (v[ts[i]] === null || typeof v[ts[i]] !== 'object') v[ts[i]] = typeof ts[i + 1] === 'number' ? [] : {};
    v = v[ts[i]];
  }
  const last = ts[ts.length - 1];
  if (value === undefined) delete v[last];
  else v[last] = value;
  return obj;
}

/** What a form input holds, as the spec should carry it: numbers as numbers, other text as typed. */
export function fromInput(text, numeric) {
  const t = text.trim();
  if (t === '') return undefined;
  if (numeric && /^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return numeric ? t : text;
}

export function tryParse(text) {
  try {
    const value = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * The JSON merge patch (RFC 7396, what PUT /services/{name} applies) that turns `from` into `to`: changed values,
 * nested objects as patches, and null for each removed key.
 */
export function mergePatch(from, to) {
  const patch = {};
  for (const key of Object.keys(from)) {
    if (!(key in to)) patch[key] = null;
  }
  for (const [key, value] of Object.entries(to)) {
    const old = from[key];
    if (isObject(old) && isObject(value)) {
      const inner = mergePatch(old, value);
      if (Object.keys(inner).length) patch[key] = inner;
    } else if (JSON.stringify(old) !== JSON.stringify(value)) patch[key] = value;
  }
  return patch;
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
