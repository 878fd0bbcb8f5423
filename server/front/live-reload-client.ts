/**
 * The browser side of live reload, served at /__smooth_reload/client.js. Small, no dependencies,
 * plain ES2017 so it runs unbundled in any current browser. It only listens: the socket accepts
 * no messages from the page.
 *
 *  - `reload`: reload the page (after a successful worker reload, or a non-image asset change);
 *  - `css`: re-fetch matching stylesheets with a cache-busting query, no page reload;
 *  - `asset`: re-fetch matching images, media, icons (src/srcset/poster/href) the same way, or the
 *    stylesheets when nothing matches (CSS backgrounds, fonts); scripts and pages reload;
 *  - `error` / `ok`: show / clear an overlay with the failed reload's error, file and line
 *    (built with DOM APIs and text nodes only: error text is never parsed as HTML);
 *  - connection lost: retry with backoff; when a different master answers, reload.
 */
export const CLIENT_SCRIPT = String.raw`(function () {
  'use strict';
  if (window.__smoothReloadClient) return;
  // Visible to the page (and tests): whether the live-reload socket is connected.
  var state = window.__smoothReloadClient = { connected: false };
  var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/__smooth_reload/ws';
  var masterId = null, delay = 250, overlay = null;

  function baseName(p) { p = String(p).split(/[?#]/)[0]; return p.slice(p.lastIndexOf('/') + 1).toLowerCase(); }
  function names(files) { var out = {}; (files || []).forEach(function (f) { out[baseName(f)] = true; }); return out; }
  function bust(u) {
    var a = new URL(u, location.href);
    a.searchParams.set('__sr', String(Date.now()));
    return a.origin === location.origin ? a.pathname + a.search + a.hash : a.href;
  }
  function matches(u, wanted) { return !!u && wanted[baseName(new URL(u, location.href).pathname)]; }

  function swapCss(files) {
    var wanted = names(files), links = Array.prototype.slice.call(document.querySelectorAll('link[rel~="stylesheet"][href]'));
    var hit = links.filter(function (l) { return matches(l.getAttribute('href'), wanted); });
    // An @import-ed or renamed file matches nothing: refresh every stylesheet then.
    (hit.length ? hit : links).forEach(function (link) {
      var next = link.cloneNode();
      next.href = bust(link.getAttribute('href'));
      var done = function () { if (link.parentNode) link.parentNode.removeChild(link); };
      next.addEventListener('load', done);
      next.addEventListener('error', done);
      link.parentNode.insertBefore(next, link.nextSibling);
    });
  }

  function swapAssets(files) {
    files = files || [];
    // Scripts and documents cannot be swapped in place.
    if (files.some(function (f) { return /\.(m?js|cjs|html?|json|wasm|map)$/i.test(f); })) return location.reload();
    var wanted = names(files), hit = 0;
    Array.prototype.forEach.call(document.querySelectorAll('img[src], input[type=image][src], video[src], audio[src], source[src], embed[src], video[poster], object[data], link[href]:not([rel~="stylesheet"])'), function (node) {
      ['src', 'poster', 'data', 'href'].forEach(function (attr) {
        var value = node.getAttribute(attr);
        if (value && matches(value, wanted)) { node.setAttribute(attr, bust(value)); hit++; }
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll('[srcset]'), function (node) {
      var changed = false;
      var parts = node.getAttribute('srcset').split(',').map(function (part) {
        var bits = part.trim().split(/\s+/);
        if (bits[0] && matches(bits[0], wanted)) { bits[0] = bust(bits[0]); changed = true; }
        return bits.join(' ');
      });
      if (changed) { node.setAttribute('srcset', parts.join(', ')); hit++; }
    });
    // Referenced from CSS (a background, a web font): re-fetching the stylesheets picks it up.
    if (!hit) swapCss([]);
  }

  function el(tag, css, text) {
    var e = document.createElement(tag);
    if (css) e.style.cssText = css;
    if (text != null) e.appendChild(document.createTextNode(String(text)));
    return e;
  }
  function showError(err) {
    hideError();
    var host = el('div', 'position:fixed;inset:0;z-index:2147483647;background:rgba(0,0,0,.66);display:flex;align-items:flex-start;justify-content:center;padding:8vh 16px;overflow:auto;font:14px/1.5 ui-monospace,Menlo,Consolas,monospace');
    host.id = '__smooth_reload_overlay';
    host.setAttribute('role', 'alert');
    var box = el('div', 'background:#1e1e1e;color:#eee;max-width:960px;width:100%;border-top:6px solid #e5534b;border-radius:6px;padding:20px 24px;box-shadow:0 8px 32px rgba(0,0,0,.5)');
    box.appendChild(el('div', 'color:#e5534b;font-weight:bold;font-size:16px;margin-bottom:8px', 'Reload failed' + (err.code ? ' (' + err.code + ')' : '')));
    if (err.file) {
      var where = el('div', 'color:#79b8ff;margin-bottom:8px', err.file + (err.line ? ':' + err.line + (err.column ? ':' + err.column : '') : ''));
      where.className = '__smooth_reload_file';
      box.appendChild(where);
    }
    var msg = el('pre', 'white-space:pre-wrap;word-break:break-word;margin:0 0 12px;color:#ffb4a9;font:inherit', err.message);
    msg.className = '__smooth_reload_message';
    box.appendChild(msg);
    if (err.fix) box.appendChild(el('div', 'color:#ddd;margin-bottom:12px', 'Fix: ' + err.fix));
    box.appendChild(el('div', 'color:#999;font-size:12px', 'The previous version keeps serving. Fix the error and save: this page reloads by itself. Click outside to dismiss.'));
    host.addEventListener('click', function (ev) { if (ev.target === host) hideError(); });
    host.appendChild(box);
    overlay = host;
    (document.body || document.documentElement).appendChild(host);
  }
  function hideError() {
    if (overlay && overlay.parentNode) overlay.parentNode.removeChild(overlay);
    overlay = null;
  }

  function onMessage(m) {
    if (m.type === 'hello') {
      // A different master than the one this page knew (it restarted): the code may have changed.
      if (masterId && masterId !== m.id) return location.reload();
      masterId = m.id;
      state.connected = true;
      if (m.error) showError(m.error); else hideError();
    } else if (m.type === 'reload') location.reload();
    else if (m.type === 'css') swapCss(m.files);
    else if (m.type === 'asset') swapAssets(m.files);
    else if (m.type === 'error') showError(m.error);
    else if (m.type === 'ok') hideError();
  }

  function connect() {
    var ws;
    try { ws = new WebSocket(url); } catch (e) { return retry(); }
    ws.onopen = function () { delay = 250; };
    ws.onmessage = function (ev) {
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (m && typeof m.type === 'string') onMessage(m);
    };
    ws.onclose = function () { state.connected = false; retry(); };
  }
  function retry() {
    setTimeout(connect, delay);
    delay = Math.min(delay * 2, 5000);
  }
  connect();
})();
`;
