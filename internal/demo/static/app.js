// Creates a Vault session the way an app using @apideck/vault-js would:
// POST /connect asking for JSON, with the sign-in cookie, then hand
// session_token to ApideckVault.open({token}). Here the answer is only shown,
// with the token shortened and the session URI reduced to its host, since
// both are bearer credentials.
(function () {
  'use strict';
  var button = document.getElementById('connect-json');
  var out = document.getElementById('json-result');
  if (!button || !out) { return; }

  // Everything is written through textContent, so nothing the
  // server returns can become markup.
  function show(status, rows) {
    out.replaceChildren();
    out.dataset.status = status;
    var dl = document.createElement('dl');
    dl.className = 'facts';
    rows.forEach(function (row) {
      var dt = document.createElement('dt');
      dt.textContent = row[1];
      var dd = document.createElement('dd');
      dd.id = row[0];
      dd.textContent = row[2] === undefined || row[2] === null ? '' : String(row[2]);
      dl.append(dt, dd);
    });
    out.append(dl);
  }

  function host(uri) {
    try { return new URL(uri).host; } catch (e) { return '(not a URL)'; }
  }

  function shorten(token) {
    return typeof token === 'string' ? token.slice(0, 12) + '\u2026' : '';
  }

  button.addEventListener('click', async function () {
    button.disabled = true;
    out.dataset.status = 'pending';
    out.textContent = 'Creating a session\u2026';
    try {
      var res = await fetch('/connect', {
        method: 'POST',
        headers: { 'Accept': 'application/json' },
        credentials: 'same-origin'
      });
      var body = {};
      try { body = await res.json(); } catch (e) { body = {}; }
      if (res.ok) {
        show('ok', [
          ['json-consumer', 'consumer_id', body.consumer_id],
          ['json-expires', 'expires_at', body.expires_at],
          ['json-host', 'session_uri host', host(body.session_uri)],
          ['json-token', 'session_token', shorten(body.session_token)]
        ]);
      } else {
        show('error', [
          ['json-status', 'status', res.status],
          ['json-code', 'code', body.code],
          ['json-title', 'title', body.title]
        ]);
      }
    } catch (e) {
      show('error', [['json-code', 'error', 'network error']]);
    } finally {
      button.disabled = false;
    }
  });
})();
