// The API console page (docs/protocol.md §19): a form generated from the
// catalogue, signed calls through the small client in clients/js/, and
// everything a client developer needs to compare with their own bytes.
// Secrets and tokens live in this tab's sessionStorage only.

import { buildData, call, encodeBody, md5Hex, utf8 } from '/console/js/console-core.mjs';

const $ = (id) => document.getElementById(id);
const store = window.sessionStorage;
const key = (kind, appid) => `yafgate.console.${kind}.${appid}`;

let catalogue = { methods: [], codes: [] };
let apps = [];

function selected() {
  return catalogue.methods.find((m) => m.name === $('method').value);
}

function fillMethods() {
  const select = $('method');
  const groups = new Map();
  for (const m of catalogue.methods) {
    if (!groups.has(m.namespace)) groups.set(m.namespace, []);
    groups.get(m.namespace).push(m);
  }
  for (const [ns, methods] of groups) {
    const group = document.createElement('optgroup');
    group.label = ns;
    for (const m of methods) {
      const o = new Option(`${m.name} (${m.access}${m.write ? ', writes' : ''})`, m.name);
      group.append(o);
    }
    select.append(group);
  }
  select.value = 'system.ping';
}

function fillApps() {
  const list = $('appids');
  for (const a of apps) list.append(new Option(`${a.name} (${a.type})`, a.appid));
  const first = apps.find((a) => a.type === 'app') ?? apps[0];
  if (first) $('appid').value = first.appid;
  appChanged();
}

function appChanged() {
  const appid = $('appid').value.trim();
  const app = apps.find((a) => a.appid === appid);
  if (app) $('platform').value = String(app.platform);
  $('secret').value = store.getItem(key('secret', appid)) ?? '';
  $('token').value = store.getItem(key('token', appid)) ?? '';
  showToken();
}

function showToken() {
  const token = $('token').value;
  $('token-state').textContent = token
    ? `token kept for ${$('appid').value} (…${token.slice(-4)}): sent with session methods`
    : 'no token kept: log in (user.login) and its token is kept for session methods';
}

function paramType(schema) {
  const t = Array.isArray(schema.type) ? schema.type.find((x) => x !== 'null') : schema.type;
  return { type: t ?? 'string', nullable: Array.isArray(schema.type) && schema.type.includes('null') };
}

function methodChanged() {
  const m = selected();
  if (!m) return;
  $('v').value = m.since;
  const flags = [`access: ${m.access}`, m.write ? 'writes' : 'reads', m.req_token ? 'needs req_token' : 'no req_token'];
  $('method-info').textContent = `${m.summary} [${flags.join(', ')}]`;
  const box = $('params');
  box.replaceChildren(Object.assign(document.createElement('legend'), { textContent: 'Parameters' }));
  const props = m.params.properties ?? {};
  const required = new Set(m.params.required ?? []);
  for (const [name, schema] of Object.entries(props)) {
    const { type } = paramType(schema);
    const label = document.createElement('label');
    const title = document.createElement('span');
    title.textContent = `${name} (${type})`;
    if (required.has(name)) title.className = 'required';
    const input = document.createElement('input');
    input.id = `p-${name}`;
    input.dataset.name = name;
    input.autocomplete = 'off';
    if (type === 'integer' || type === 'number') input.inputMode = 'decimal';
    const hint = document.createElement('span');
    hint.className = 'hint';
    hint.textContent = schema.description ?? '';
    label.append(title, input, hint);
    box.append(label);
  }
  const extra = document.createElement('label');
  extra.innerHTML = '<span>more parameters (a JSON object, merged last; e.g. {"req_token": "…"})</span>';
  const area = document.createElement('textarea');
  area.id = 'extra';
  area.rows = 2;
  extra.append(area);
  box.append(extra);
  const upload = m.name === 'system.upload';
  $('file-row').hidden = !upload;
  // Uploads need multipart; leaving one goes back to the form body.
  if (upload) $('encoding').value = 'multipart';
  else if ($('encoding').dataset.auto === 'true') $('encoding').value = 'form';
  $('encoding').dataset.auto = String(upload);
}

/** The method's parameters from the form, typed by their schema. */
function readParams(m) {
  const params = {};
  const props = m.params.properties ?? {};
  const required = new Set(m.params.required ?? []);
  for (const [name, schema] of Object.entries(props)) {
    const raw = $(`p-${name}`).value;
    const { type } = paramType(schema);
    if (raw === '') {
      if (required.has(name) && type === 'string') params[name] = '';
      continue;
    }
    if (type === 'integer' && /^-?\d+$/.test(raw)) params[name] = Number(raw);
    else if (type === 'number' && raw.trim() !== '' && !Number.isNaN(Number(raw))) params[name] = Number(raw);
    else params[name] = raw;
  }
  const extra = $('extra').value.trim();
  if (extra) Object.assign(params, JSON.parse(extra));
  return params;
}

function describeRequest(endpoint, dataText, signature, encoding, files) {
  const { contentType, body } = encodeBody(dataText, signature, encoding, {});
  if (encoding === 'multipart') {
    const names = Object.entries(files).filter(([, f]) => f).map(([n, f]) => `${n}=${f.name} (${f.size} bytes, unsigned)`);
    return `POST ${endpoint}\nContent-Type: multipart/form-data; boundary=…\n\nparts: data, sign${names.length ? ', ' + names.join(', ') : ''}`;
  }
  return `POST ${endpoint}\nContent-Type: ${contentType}\n\n${body}`;
}

function codeInfo(code) {
  return catalogue.codes.find((c) => c.code === code);
}

function showAnswer(result) {
  const status = $('status');
  const env = result.envelope;
  const timing = `${result.ms.toFixed(1)} ms`;
  const rid = result.requestId ? ` · X-Request-Id ${result.requestId}` : '';
  if (!env || typeof env.code !== 'number') {
    status.textContent = `no envelope: ${result.error ?? 'unreadable answer'} · ${timing}${rid}`;
    status.className = 'status refused';
    $('meaning').textContent = result.status
      ? `HTTP ${result.status}: refused before the signature was looked at (docs/protocol.md §1.3)`
      : '';
    $('answer').textContent = result.body;
    return;
  }
  status.textContent = `code ${env.code} · ${env.msg} · ${timing} · HTTP ${result.status}${rid}`;
  status.className = env.code === 200 ? 'status ok' : 'status refused';
  const info = codeInfo(env.code);
  $('meaning').textContent = info && env.code !== 200
    ? `${env.code}: ${info.meaning}. What to do (${info.action}): ${info.advice}`
    : '';
  $('answer').textContent = JSON.stringify(env, null, 2);
  const v = result.responseSign;
  $('verdict').textContent = v === null
    ? 'answer not signed (sign_responses is off for this appid)'
    : v.valid
      ? `answer signature verified (secret slot ${v.slot ?? '?'})`
      : 'answer signature MISMATCH: this answer was altered or did not come from the gateway';
}

function keepToken(appid, m, env) {
  const token = env?.data?.token;
  if (env?.code === 200 && typeof token === 'string' && token) {
    store.setItem(key('token', appid), token);
    $('token').value = token;
  } else if (env && info(env.code)?.action === 'log_in' && m.access !== 'public') {
    store.removeItem(key('token', appid));
    $('token').value = '';
  }
  showToken();
}

function info(code) {
  return codeInfo(code);
}

async function doCall() {
  const m = selected();
  const appid = $('appid').value.trim();
  const secret = $('secret').value;
  store.setItem(key('secret', appid), secret);
  let params;
  try {
    params = readParams(m);
  } catch (e) {
    $('status').textContent = `more parameters: not a JSON object (${e.message})`;
    return;
  }
  const token = m.access === 'public' ? '' : $('token').value.trim();
  const dataText = buildData({
    method: m.name, v: $('v').value.trim(), appid, platform: Number($('platform').value), token, params,
  });
  const files = m.name === 'system.upload' ? { image: $('file').files[0] } : {};
  const encoding = $('encoding').value;
  const endpoint = '/api';
  $('data-text').textContent = dataText;
  $('data-len').textContent = `${utf8(dataText).length} bytes (UTF-8)`;
  $('data-md5').textContent = md5Hex(dataText);
  $('status').textContent = 'calling…';
  $('status').className = 'status';
  const result = await call({ endpoint, dataText, secret, encoding, files });
  $('sign').textContent = result.signature;
  $('request').textContent = describeRequest(endpoint, dataText, result.signature, encoding, files);
  showAnswer(result);
  keepToken(appid, m, result.envelope);
}

async function start() {
  const [cat, list] = await Promise.all([
    fetch('/catalogue.json').then((r) => r.json()),
    fetch('/console/apps.json').then((r) => r.json()),
  ]);
  catalogue = cat;
  apps = list.apps;
  fillMethods();
  fillApps();
  methodChanged();
  $('method').addEventListener('change', methodChanged);
  $('appid').addEventListener('change', appChanged);
  $('secret').addEventListener('change', () => store.setItem(key('secret', $('appid').value.trim()), $('secret').value));
  $('token').addEventListener('change', () => {
    store.setItem(key('token', $('appid').value.trim()), $('token').value.trim());
    showToken();
  });
  $('forget-token').addEventListener('click', () => {
    store.removeItem(key('token', $('appid').value.trim()));
    $('token').value = '';
    showToken();
  });
  $('call').addEventListener('click', doCall);
  document.body.dataset.ready = 'true';
}

start().catch((e) => {
  $('status').textContent = `the console could not load the catalogue: ${e.message}`;
});
