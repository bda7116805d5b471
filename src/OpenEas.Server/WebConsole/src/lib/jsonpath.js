// Finds where a JSON path the server names (containers[0].port, metadata.rpc.keepalive) is in the text being
// edited, so a finding is shown on its line. Tolerant: text after a syntax error is not mapped.

/** Map from JSON path to the character offset of its key (members) or its value (array elements). */
export function pathOffsets(text) {
  const offsets = new Map();
  let i = 0;
  const fail = () => {
    throw new SyntaxError('json');
  };
  const ws = () => {
    while (i < text.length) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') i++;
      else if (c === '/' && text[i + 1] === '/') while (i < text.length && text[i] !== '\n') i++;
      else break;
    }
  };
  const str = () => {
    if (text[i] !== '"') fail();
    let s = '';
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        s += text[i + 1] ?? '';
        i += 2;
      } else s += text[i++];
    }
    if (i >= text.length) fail();
    i++;
    return s;
  };
  const value = (path) => {
    ws();
    const c = text[i];
    if (c === '{') obj(path);
    else if (c === '[') arr(path);
    else if (c === '"') str();
    else {
      const start = i;
      while (i < text.length && !/[,\]}\s]/.test(text[i])) i++;
      if (i === start) fail();
    }
  };
  const obj = (path) => {
    i++;
    ws();
    if (text[i] === '}') return void i++;
    for (;;) {
      ws();
      const at = i;
      const key = str();
      const p = path ? `${path}.${key}` : key;
      offsets.set(p, at);
      ws();
      if (text[i] !== ':') fail();
      i++;
      value(p);
      ws();
      if (text[i] === ',') {
        i++;
        ws();
        if (text[i] === '}') return void i++;
      } else if (text[i] === '}') return void i++;
      else fail();
    }
  };
  const arr = (path) => {
    i++;
    ws();
    if (text[i] === ']') return void i++;
    for (let k = 0; ; k++) {
      ws();
      const p = `${path}[${k}]`;
      offsets.set(p, i);
      value(p);
      ws();
      if (text[i] === ',') i++;
      else if (text[i] === ']') return void i++;
      else fail();
    }
  };
  try {
    value('');
  } catch {
    // keep what was mapped before the error
  }
  return offsets;
}

export function lineAt(text, offset) {
  let line = 1;
  for (let k = 0; k < offset && k < text.length; k++) if (text[k] === '\n') line++;
  return line;
}

/**
 * The 1-based line for a finding: its path's line, else its nearest mapped parent's (an unknown key under
 * metadata shows at metadata), else the line a JSON syntax message names, else null.
 */
export function lineOf(text, path, message = '', offsets = pathOffsets(text)) {
  const syntax = /LineNumber: (\d+)/.exec(message);
  if (syntax) return Number(syntax[1]) + 1;
  let p = path ?? '';
  while (p) {
    if (offsets.has(p)) return lineAt(text, offsets.get(p));
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    p = cut > 0 ? p.slice(0, cut) : '';
  }
  return null;
}

/** Findings at or under a path (metadata.cpu matches "metadata.cpu" and "metadata.cpu.x"). */
export function findingsFor(errors, path) {
  return (errors ?? []).filter((e) => e.path === path || e.path.startsWith(`${path}.`) || e.path.startsWith(`${path}[`));
}
