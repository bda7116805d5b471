// The debug form's call, written for curl, the eas CLI and the SDKs, for a user to copy.

const sq = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
const dq = (s) => JSON.stringify(String(s));

/** [{id, label, code}] for a call {service (description), method, path, headers, body, file}. */
export function equivalents({ service, method, path, headers, body, file }) {
  const url = `${service.InternetEndpoint}${path ? `/${path.replace(/^\//, '')}` : ''}`;
  const token = service.AccessToken;
  const hs = Object.entries(headers);
  const curl = [`curl -X ${method}`, `-H ${sq(`Authorization: ${token}`)}`, ...hs.map(([k, v]) => `-H ${sq(`${k}: ${v}`)}`)];
  if (body) curl.push(`--data-binary ${sq(body)}`);
  curl.push(sq(url));

  const cli = [`eas predict ${service.ServiceName}`];
  if (method !== 'POST') cli.push(`-X ${method}`);
  if (path) cli.push(`--path ${sq(path)}`);
  for (const [k, v] of hs) cli.push(`-H ${sq(`${k}: ${v}`)}`);
  if (body) cli.push(`-d ${sq(body)}`);
  cli.push('-v');

  const endpoint = service.InternetEndpoint.replace(/\/api\/predict\/.*$/, '');
  const target = `${service.ServiceName}${path ? `/${path.replace(/^\//, '')}` : ''}`;
  const python = [
    '# pip install eas-prediction (the PAI-EAS Python SDK); it sends POST',
    'from eas_prediction import PredictClient, StringRequest',
    '',
    `client = PredictClient(${dq(endpoint)}, ${dq(target)})`,
    `client.set_token(${dq(token)})`,
    'client.init()',
    file ? `with open(${dq(body.replace(/^@/, ''))}, "rb") as f:\n    response = client.predict(StringRequest(f.read()))` : `response = client.predict(StringRequest(${dq(body ?? '')}))`,
    'print(response)',
  ].join('\n');

  const csharp = [
    '// dotnet add reference src/OpenEas.Client (the OpenEAS C# SDK)',
    'using OpenEas.Client;',
    '',
    `using var client = new EasClient(${dq(endpoint)}, adminToken: null);`,
    `var result = await client.PredictAsync(${dq(service.ServiceName)}, ${dq(token)},`,
    `    ${file ? `await File.ReadAllBytesAsync(${dq(body.replace(/^@/, ''))})` : `System.Text.Encoding.UTF8.GetBytes(${dq(body ?? '')})`},`,
    `    method: HttpMethod.Parse(${dq(method)})${path ? `, path: ${dq(path)}` : ''}${hs.length ? `,\n    headers: new Dictionary<string, string> { ${hs.map(([k, v]) => `[${dq(k)}] = ${dq(v)}`).join(', ')} }` : ''});`,
    'Console.WriteLine($"{(int)result.Status} in {result.Elapsed.TotalMilliseconds} ms: {result.BodyText}");',
  ].join('\n');

  return [
    { id: 'curl', label: 'curl', code: curl.join(' \\\n  ') },
    { id: 'cli', label: 'eas CLI', code: cli.join(' ') },
    { id: 'python', label: 'Python (eas_prediction)', code: python },
    { id: 'csharp', label: 'C# (OpenEas.Client)', code: csharp },
  ];
}
