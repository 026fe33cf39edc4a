// The integrations list an app's settings page shows, backed by vaultgate
// alone: GET /connections for the list, each row's connect_url to connect,
// DELETE /connections/{unified_api}/{service_id} to disconnect, and the
// /connections/events stream to keep the badges current without a reload.
// Everything is written through textContent, so nothing the server returns
// can become markup.
(function () {
  'use strict';
  var list = document.getElementById('connections');
  var status = document.getElementById('connections-status');
  var live = document.getElementById('live');
  var summary = document.getElementById('back-summary');
  if (!list || !status) { return; }

  var labels = {
    available: 'available', added: 'added', authorized: 'authorized',
    callable: 'connected', invalid: 'needs attention'
  };
  var rows = new Map();    // "<unified_api>/<service_id>" -> <li>
  var latest = new Map();  // key -> number of the newest read of that row
  var timers = new Map();  // key -> pending re-read after an event
  var loading = null;      // the list read in flight
  var again = false;       // an event arrived while it was in flight
  var generation = 0;      // list reads started

  function key(c) { return c.unified_api + '/' + c.service_id; }
  function rowId(c) { return c.unified_api + '-' + c.service_id; }
  function onePath(u, s) {
    return '/connections/' + encodeURIComponent(u) + '/' + encodeURIComponent(s);
  }

  function setStatus(state, text) {
    status.dataset.status = state;
    status.textContent = text;
  }

  function setLive(state, text) {
    if (!live) { return; }
    live.dataset.live = state;
    live.textContent = text;
  }

  // connect_url is a path on vaultgate; anything else is not followed.
  function localHref(href) {
    try {
      var u = new URL(href, location.href);
      return u.origin === location.origin ? u.pathname + u.search : '';
    } catch (e) { return ''; }
  }

  async function getJSON(url, method) {
    var res = await fetch(url, {
      method: method || 'GET',
      headers: { 'Accept': 'application/json' },
      credentials: 'same-origin'
    });
    var body = null;
    if (res.status !== 204) {
      try { body = await res.json(); } catch (e) { body = null; }
    }
    return { status: res.status, ok: res.ok, body: body };
  }

  function problem(what, r) {
    var b = r.body || {};
    return what + ': ' + (b.title || ('HTTP ' + r.status)) + (b.code ? ' (' + b.code + ')' : '');
  }

  function render(c) {
    var id = rowId(c);
    var li = document.createElement('li');
    li.id = 'conn-' + id;
    li.dataset.state = c.state || 'unknown';

    var img = document.createElement('img');
    img.alt = '';
    img.width = 28;
    img.height = 28;
    var icon = c.icon || c.logo;
    if (typeof icon === 'string' && icon.indexOf('data:image/') === 0) { img.src = icon; }

    var name = document.createElement('span');
    name.className = 'name';
    var strong = document.createElement('strong');
    strong.textContent = c.name || c.service_id;
    var small = document.createElement('small');
    small.textContent = c.unified_api;
    name.append(strong, document.createElement('br'), small);

    var badge = document.createElement('span');
    badge.className = 'badge';
    badge.id = 'state-' + id;
    badge.dataset.state = li.dataset.state;
    badge.textContent = labels[c.state] || c.state || 'unknown';

    var actions = document.createElement('span');
    actions.className = 'actions';
    var href = localHref(c.connect_url);
    if (href) {
      var a = document.createElement('a');
      a.className = 'button';
      a.id = 'connect-' + id;
      a.href = href;
      a.textContent = c.state === 'callable' ? 'Manage' : 'Connect';
      a.setAttribute('aria-label', a.textContent + ' ' + strong.textContent);
      actions.append(a);
    }
    if (c.can_disconnect && c.state && c.state !== 'available') {
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'secondary';
      b.id = 'disconnect-' + id;
      b.textContent = 'Disconnect';
      b.setAttribute('aria-label', 'Disconnect ' + strong.textContent);
      b.addEventListener('click', function () { disconnect(c, b); });
      actions.append(b);
    }
    li.append(img, name, badge, actions);
    return li;
  }

  function summarise() {
    if (!summary) { return; }
    var names = [];
    rows.forEach(function (li) {
      if (li.dataset.state === 'callable') { names.push(li.querySelector('strong').textContent); }
    });
    summary.dataset.connected = String(names.length);
    summary.textContent = names.length
      ? 'Connected: ' + names.join(', ') + '.'
      : 'Nothing is connected yet.';
  }

  // loadAll reads the whole list; an event during the read asks for another,
  // since the answer may predate it.
  function loadAll() {
    if (loading) { again = true; return loading; }
    generation++;
    loading = readList().finally(function () {
      loading = null;
      if (again) { again = false; loadAll(); }
    });
    return loading;
  }

  async function readList() {
    try {
      var r = await getJSON('/connections');
      if (!r.ok || !r.body || !Array.isArray(r.body.connections)) {
        setStatus('error', problem('Could not read your integrations', r));
        return;
      }
      rows.clear();
      var items = r.body.connections.map(function (c) {
        var li = render(c);
        rows.set(key(c), li);
        return li;
      });
      list.replaceChildren.apply(list, items);
      setStatus('ok', items.length ? items.length + ' integrations offered.' : 'No integrations are offered.');
      summarise();
    } catch (e) {
      setStatus('error', 'Could not reach vaultgate.');
    }
  }

  // loadOne re-reads one row. Only the newest read of a row is shown, and
  // none that a list read started meanwhile has overtaken.
  async function loadOne(u, s) {
    if (loading) { again = true; return; }
    var k = u + '/' + s;
    var n = (latest.get(k) || 0) + 1;
    latest.set(k, n);
    var gen = generation;
    try {
      var r = await getJSON(onePath(u, s));
      if (latest.get(k) !== n || gen !== generation) { return; }
      var old = rows.get(k);
      if (r.ok && r.body && old) {
        var li = render(r.body);
        old.replaceWith(li);
        rows.set(k, li);
        summarise();
      } else if (r.ok || r.status === 404) {
        loadAll(); // a row that appeared or went away: the list decides
      } else {
        setStatus('error', problem('Could not refresh ' + s, r));
      }
    } catch (e) {
      setStatus('error', 'Could not reach vaultgate.');
    }
  }

  // Vault sends created, updated and callable within moments: one re-read
  // after the burst is enough.
  function schedule(u, s) {
    var k = u + '/' + s;
    clearTimeout(timers.get(k));
    timers.set(k, setTimeout(function () { timers.delete(k); loadOne(u, s); }, 150));
  }

  async function disconnect(c, button) {
    button.disabled = true;
    try {
      var r = await getJSON(onePath(c.unified_api, c.service_id), 'DELETE');
      if (!r.ok && r.status !== 404) {
        setStatus('error', problem('Could not disconnect ' + (c.name || c.service_id), r));
        button.disabled = false;
        return;
      }
      await loadOne(c.unified_api, c.service_id);
    } catch (e) {
      setStatus('error', 'Could not reach vaultgate.');
      button.disabled = false;
    }
  }

  function subscribe() {
    if (!window.EventSource) {
      setLive('off', 'Live updates: not supported by this browser.');
      return;
    }
    var es = new EventSource('/connections/events');
    // ready comes once the stream is subscribed: reading the list after it
    // leaves no gap for a change to fall into.
    es.addEventListener('ready', function () {
      setLive('on', 'Live updates: on');
      loadAll();
    });
    es.addEventListener('connection', function (e) {
      var d;
      try { d = JSON.parse(e.data); } catch (x) { return; }
      if (d && typeof d.unified_api === 'string' && typeof d.service_id === 'string') {
        schedule(d.unified_api, d.service_id);
      }
    });
    es.addEventListener('error', function () {
      if (es.readyState === EventSource.CLOSED) {
        setLive('off', 'Live updates: off (reload to retry)');
      } else {
        setLive('reconnecting', 'Live updates: reconnecting…');
      }
    });
  }

  loadAll();
  subscribe();
})();
