// The orgsync console: reads and acts through the admin API with the token typed in above (kept in
// this tab's sessionStorage only). Every value from the server is shown as text, never as HTML: a
// raw body or an error message cannot run script here.
'use strict';

const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem('orgsync.token') || '';

function status(text, bad) {
  $('status').textContent = text;
  $('status').className = bad ? 'bad' : '';
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: Object.assign({ Authorization: 'Bearer ' + token }, body ? { 'Content-Type': 'application/json' } : {}),
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await response.json().catch(() => null);
  if (!response.ok) {
    throw new Error(response.status + ' ' + (json && json.code ? json.code + ': ' + json.message : response.statusText));
  }
  return json;
}

function query(params) {
  const q = new URLSearchParams();
  Object.entries(params).forEach(([k, v]) => { if (v) q.set(k, v); });
  const s = q.toString();
  return s ? '?' + s : '';
}

function cell(row, value, className) {
  const td = document.createElement('td');
  td.textContent = value === null || value === undefined ? '' : String(value);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function button(td, label, onClick) {
  const b = document.createElement('button');
  b.textContent = label;
  b.addEventListener('click', onClick);
  td.appendChild(b);
  td.appendChild(document.createTextNode(' '));
  return b;
}

function fill(tableId, items, columns, actions) {
  const body = $(tableId).querySelector('tbody');
  body.replaceChildren();
  if (!items.length) {
    const row = document.createElement('tr');
    const td = cell(row, 'None', 'empty');
    td.colSpan = $(tableId).querySelectorAll('th').length;
    body.appendChild(row);
    return;
  }
  items.forEach((item) => {
    const row = document.createElement('tr');
    row.dataset.id = item.id === undefined ? item.target : item.id;
    columns.forEach(([f, cls]) => cell(row, typeof f === 'function' ? f(item) : item[f], cls));
    if (actions) actions(cell(row, ''), item);
    body.appendChild(row);
  });
}

function age(seconds) {
  if (!seconds) return '';
  if (seconds < 120) return seconds + ' s';
  if (seconds < 7200) return Math.round(seconds / 60) + ' min';
  return Math.round(seconds / 3600) + ' h';
}

function pretty(value) {
  if (value === null || value === undefined) return '(none)';
  if (typeof value === 'string') {
    try { return JSON.stringify(JSON.parse(value), null, 2); } catch (e) { return value; }
  }
  return JSON.stringify(value, null, 2);
}

function showDetail(title, errors, headers, rawBody) {
  $('detail').hidden = false;
  $('detail-title').textContent = title;
  fill('detail-errors', errors, [['attempt'], ['failed_at'], ['category'], ['error', 'error']]);
  $('detail-headers').textContent = pretty(headers);
  $('detail-body').textContent = pretty(rawBody);
  $('detail').scrollIntoView();
}

async function act(what, promise) {
  let message;
  let bad = false;
  try {
    message = what + ': ' + JSON.stringify(await promise);
  } catch (e) {
    message = what + ' failed: ' + e.message;
    bad = true;
  }
  await refresh();
  status(message, bad);
}

async function loadBacklog() {
  fill('backlog', await api('GET', '/admin/outbox'),
    [['target'], ['pending'], ['dead'], ['held'], [(t) => age(t.oldest_pending_age_seconds)], ['on_dead']]);
}

async function loadDeadLetters() {
  const items = await api('GET', '/admin/dead-letters' + query({ target: $('dl-target').value.trim(), event_type: $('dl-event-type').value.trim(), limit: 100 }));
  fill('dead-letters', items,
    [['id'], ['target'], [(d) => d.event_type + ' ' + d.event_id], ['tenant_id'], ['attempts'], ['error_category'], ['last_error', 'error']],
    (td, d) => {
      button(td, 'Show', async () => {
        try {
          const one = await api('GET', '/admin/dead-letters/' + d.id);
          showDetail('Dead letter ' + one.id + ': ' + one.event_type + ' ' + one.event_id + ' to ' + one.target,
            one.attempt_errors || [], one.headers, one.raw_body);
        } catch (e) { status('Show failed: ' + e.message, true); }
      });
      button(td, 'Replay', () => act('Replayed dead letter ' + d.id, api('POST', '/admin/dead-letters/' + d.id + '/replay')));
      button(td, 'Discard', () => {
        if (confirm('Discard dead letter ' + d.id + '? It will never be delivered.')) {
          act('Discarded dead letter ' + d.id, api('DELETE', '/admin/dead-letters/' + d.id));
        }
      });
    });
}

async function loadQuarantine() {
  const items = await api('GET', '/admin/quarantine' + query({ source: $('q-source').value, event_type: $('q-event-type').value.trim(),
    code: $('q-code').value.trim(), status: $('q-status').value, limit: 100 }));
  fill('quarantine', items,
    [['id'], ['source'], [(q) => (q.event_type || '?') + ' ' + (q.event_id || '')], ['code'], ['reason', 'error'], ['status'], ['quarantined_at']],
    (td, q) => {
      button(td, 'Show', async () => {
        try {
          const one = await api('GET', '/admin/quarantine/' + q.id);
          const errors = [{ attempt: 'received', failed_at: one.quarantined_at, category: one.code, error: one.reason }];
          if (one.outcome) errors.push({ attempt: 'replay ' + one.attempts, failed_at: one.last_replay_at, category: 'replay', error: one.outcome });
          showDetail('Quarantined ' + one.id + ': ' + (one.event_type || '?') + ' ' + (one.event_id || ''), errors,
            { headers: one.headers, verification: one.verification }, one.raw_body !== undefined ? one.raw_body : one.raw_body_base64);
        } catch (e) { status('Show failed: ' + e.message, true); }
      });
      if (q.status === 'held') {
        button(td, 'Replay', () => act('Replayed quarantined event ' + q.id, api('POST', '/admin/quarantine/' + q.id + '/replay')));
        button(td, 'Discard', () => {
          const reason = prompt('Why is quarantined event ' + q.id + ' discarded?');
          if (reason) act('Discarded quarantined event ' + q.id, api('POST', '/admin/quarantine/' + q.id + '/discard', { reason }));
        });
      }
    });
}

async function loadRuns() {
  fill('runs', await api('GET', '/admin/reconcile/runs?limit=20'),
    [['id'], ['source'], ['trigger'], ['dry_run'], ['status'], ['started_at'], ['finished_at'], ['drift'], ['error', 'error']]);
}

async function refresh() {
  if (!token) {
    status('Type the admin token and press Connect', true);
    return;
  }
  try {
    await Promise.all([loadBacklog(), loadDeadLetters(), loadQuarantine(), loadRuns()]);
    status('Connected, updated ' + new Date().toLocaleTimeString());
  } catch (e) {
    status(e.message, true);
  }
}

$('connect').addEventListener('click', () => {
  token = $('token').value.trim();
  sessionStorage.setItem('orgsync.token', token);
  status('');
  refresh();
});
$('token').addEventListener('keydown', (e) => { if (e.key === 'Enter') $('connect').click(); });
$('dl-refresh').addEventListener('click', () => loadDeadLetters().catch((e) => status(e.message, true)));
$('q-refresh').addEventListener('click', () => loadQuarantine().catch((e) => status(e.message, true)));
$('dl-replay-all').addEventListener('click', () => {
  const filters = query({ target: $('dl-target').value.trim(), event_type: $('dl-event-type').value.trim() });
  if (confirm('Replay every dead letter' + (filters ? ' matching ' + filters : '') + '?')) {
    act('Replayed', api('POST', '/admin/dead-letters/replay' + filters));
  }
});
$('detail-close').addEventListener('click', () => { $('detail').hidden = true; });
setInterval(() => { if (token && document.visibilityState === 'visible') refresh(); }, 15000);
refresh();
