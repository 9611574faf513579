// The API console page (docs/protocol.md §19): a form generated from the
// catalogue, signed calls through the JavaScript client of the kits
// (clients/js/yafgate.mjs, docs/clients.md §5), and everything a client
// developer needs to compare with their own bytes. Secrets and tokens live
// in this tab's sessionStorage only.

import { Client } from '/console/js/yafgate.mjs';

const ENDPOINT = '/api';

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

/** The request as sent: its body, or a multipart body's parts. */
function describeRequest(request) {
  if (request.encoding === 'multipart') {
    const names = [];
    for (const [name, value] of request.body.entries()) {
      if (name !== 'data' && name !== 'sign') names.push(`${name}=${value.name} (${value.size} bytes, unsigned)`);
    }
    return `POST ${ENDPOINT}\nContent-Type: multipart/form-data; boundary=…\n\nparts: data, sign${names.length ? ', ' + names.join(', ') : ''}`;
  }
  return `POST ${ENDPOINT}\nContent-Type: ${request.contentType}\n\n${request.body}`;
}

function codeInfo(code) {
  return catalogue.codes.find((c) => c.code === code);
}

/** The client's verdict on the answer's signature, in words. */
function verdictText(answerSign, app) {
  const slot = answerSign?.slot ?? '?';
  switch (answerSign?.verdict) {
    case 'verified':
      return `verified: answer signature verified (secret slot ${slot})`;
    case 'tampered':
      return `tampered: answer signature MISMATCH: ${answerSign.reason}; this answer was altered or did not come from the gateway`;
    case 'unverifiable':
      return `unverifiable: answer signature not checkable: ${answerSign.reason}`;
    case 'unchecked':
      if (answerSign.slot !== null && answerSign.slot !== undefined) {
        return `unchecked: answer signature present (secret slot ${slot}) but not checked: this appid is not in the list`;
      }
      return app?.sign_responses
        ? 'unchecked: answer not signed'
        : 'unchecked: answer not signed (sign_responses is off for this appid)';
    default:
      return '';
  }
}

/** Whether the gateway got the bytes this page shows (from its debug). */
function compareDebug(debug, request) {
  if (typeof debug?.data_md5 !== 'string') return '';
  const same = debug.data_md5.toUpperCase() === request.md5 && debug.data_length === request.length;
  return same
    ? 'the gateway got exactly the data bytes shown above (same length and MD5): check the secret'
    : `the gateway got other data bytes (${debug.data_length} bytes, MD5 ${debug.data_md5}) than shown above: something changed the body on the way`;
}

function showAnswer(result, app) {
  const status = $('status');
  const timing = `${result.ms.toFixed(1)} ms`;
  const rid = result.requestId ? ` · X-Request-Id ${result.requestId}` : '';
  $('kind').textContent = `${result.kind}${result.ok ? '' : ' (not ok)'}`;
  $('verdict').textContent = verdictText(result.answerSign, app);
  const debug = result.debug !== undefined && result.debug !== null;
  $('debug-row').hidden = !debug;
  $('debug').textContent = debug ? JSON.stringify(result.debug, null, 2) : '';
  $('debug-compare').textContent = debug ? compareDebug(result.debug, result.request) : '';
  if (result.kind === 'http' || result.kind === 'network' || result.kind === 'malformed') {
    const why = result.kind === 'network' ? `no answer (${result.msg})` : result.kind === 'http' ? `HTTP ${result.status}` : result.msg;
    status.textContent = `no envelope: ${why} · ${timing}${rid}`;
    status.className = 'status refused';
    $('meaning').textContent = result.kind === 'http'
      ? `HTTP ${result.status}: refused before the signature was looked at (docs/protocol.md §1.3)`
      : '';
    $('answer').textContent = result.text ?? '';
    return;
  }
  if (result.kind === 'tampered') {
    status.textContent = `code ${result.code} · NOT TRUSTED: ${result.msg} · ${timing} · HTTP ${result.status}${rid}`;
    status.className = 'status refused';
    $('meaning').textContent = 'the answer\'s signature does not match its bytes (docs/protocol.md §4.1): do not use it';
    $('answer').textContent = result.text;
    return;
  }
  status.textContent = `code ${result.code} · ${result.msg} · ${timing} · HTTP ${result.status}${rid}`;
  status.className = result.ok ? 'status ok' : 'status refused';
  const info = codeInfo(result.code);
  $('meaning').textContent = info && !result.ok
    ? `${result.code}: ${info.meaning}. What to do (${info.action}): ${info.advice}`
    : '';
  $('answer').textContent = JSON.stringify(JSON.parse(result.text), null, 2);
}

/** Keep the client's token after a call: a login sets it, an ended session drops it. */
function keepToken(appid, token) {
  if (token) store.setItem(key('token', appid), token);
  else store.removeItem(key('token', appid));
  $('token').value = token;
  showToken();
}

async function doCall() {
  const m = selected();
  const appid = $('appid').value.trim();
  const app = apps.find((a) => a.appid === appid);
  const secret = $('secret').value;
  store.setItem(key('secret', appid), secret);
  let params;
  try {
    params = readParams(m);
  } catch (e) {
    $('status').textContent = `more parameters: not a JSON object (${e.message})`;
    return;
  }
  const file = m.name === 'system.upload' ? $('file').files[0] : undefined;
  const files = file ? { image: file } : undefined;
  // One instant for the whole call, so the request shown before sending
  // is byte for byte the one sent.
  const at = Date.now();
  let client;
  try {
    client = new Client({
      url: location.origin + ENDPOINT,
      appid,
      secret,
      platform: Number($('platform').value),
      encoding: $('encoding').value,
      verifyAnswers: app?.sign_responses === true,
      token: $('token').value.trim(),
      now: () => at,
    });
  } catch (e) {
    $('status').textContent = `cannot call: ${e.message}`;
    $('status').className = 'status refused';
    return;
  }
  // Public methods do not look at a token: send none, keep the one we have.
  const kept = client.token;
  if (m.access === 'public') client.token = '';
  const v = $('v').value.trim();
  const request = client.prepare(m.name, params, { v, files });
  $('data-text').textContent = request.data;
  $('data-len').textContent = `${request.length} bytes (UTF-8)`;
  $('data-md5').textContent = request.md5;
  $('sign').textContent = request.sign;
  $('request').textContent = describeRequest(request);
  $('status').textContent = 'calling…';
  $('status').className = 'status';
  const result = await client.call(m.name, params, { v, files });
  if (m.access === 'public' && !client.token) client.token = kept;
  showAnswer(result, app);
  keepToken(appid, client.token);
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
