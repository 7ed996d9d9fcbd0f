/*
 * Troupe chat widget (docs/widget.md). On any website:
 *   <script src="https://troupe.example/widget.js" data-key="pk_…" async></script>
 * adds a chat button and panel talking to one published agent through the public chat API.
 * The public chat page (/chat/<key>) loads the same file with data-mode="page".
 * No framework, no dependencies; everything lives in a shadow root, so the host page's styles
 * and the widget's do not meet. Text is only ever inserted as text (never as HTML).
 */
/* global document, localStorage, fetch, setTimeout, clearTimeout, CSSStyleSheet, Event */
(function () {
  'use strict';
  var script = document.currentScript || document.querySelector('script[data-key][src*="widget.js"]');
  if (!script) return;
  var key = script.getAttribute('data-key') || '';
  if (!/^pk_[A-Za-z0-9_-]{32}$/.test(key)) return;
  var pageMode = script.getAttribute('data-mode') === 'page';
  var base = new URL(script.src, document.baseURI).origin;
  var api = base + '/api/v1/public/chat/' + key;
  var storeKey = 'troupe-chat:' + key;
  var uid = 'troupe-' + key.slice(3, 11).replace(/[^A-Za-z0-9]/g, 'x');

  var CSS =
    ':host{all:initial;--accent:#2563eb;--accent-text:#fff;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111827}' +
    '*{box-sizing:border-box}' +
    '.launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;display:flex;align-items:center;gap:8px;padding:12px 18px;border:0;border-radius:999px;background:var(--accent);color:var(--accent-text);font:inherit;font-weight:600;cursor:pointer;box-shadow:0 6px 24px rgba(0,0,0,.2)}' +
    '.launcher:focus-visible,button:focus-visible,textarea:focus-visible{outline:3px solid #111827;outline-offset:2px}' +
    '.launcher svg{width:20px;height:20px}' +
    '.panel{position:fixed;right:20px;bottom:84px;z-index:2147483001;width:min(380px,calc(100vw - 24px));height:min(560px,calc(100vh - 110px));display:flex;flex-direction:column;background:#fff;border:1px solid #d1d5db;border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.25);overflow:hidden}' +
    '.panel[hidden]{display:none}' +
    '.page .panel{position:static;width:100%;max-width:720px;height:100vh;height:100dvh;margin:0 auto;border-radius:0;border-width:0 1px;box-shadow:none}' +
    '.head{display:flex;align-items:center;justify-content:space-between;gap:8px;padding:12px 14px;background:var(--accent);color:var(--accent-text)}' +
    'h1,h2{margin:0;font-size:16px;font-weight:650}' +
    '.page h1{font-size:17px}' +
    '.close{border:0;background:transparent;color:inherit;font:inherit;font-size:22px;line-height:1;width:36px;height:36px;border-radius:8px;cursor:pointer}' +
    '.log{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:10px;background:#f9fafb}' +
    '.msg{max-width:85%;padding:9px 12px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere}' +
    '.msg.assistant{align-self:flex-start;background:#fff;border:1px solid #e5e7eb;color:#111827}' +
    '.msg.visitor{align-self:flex-end;background:var(--accent);color:var(--accent-text)}' +
    '.who{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}' +
    '.status{min-height:1.5em;margin:0;padding:0 14px;font-size:13px;color:#4b5563;background:#f9fafb}' +
    'form{display:flex;gap:8px;padding:10px;border-top:1px solid #e5e7eb;background:#fff}' +
    'textarea{flex:1;resize:none;min-height:44px;max-height:120px;padding:10px;border:1px solid #6b7280;border-radius:10px;font:inherit;color:#111827;background:#fff}' +
    '.send{padding:0 16px;border:0;border-radius:10px;background:var(--accent);color:var(--accent-text);font:inherit;font-weight:600;cursor:pointer}' +
    '.send[disabled]{opacity:.6;cursor:default}' +
    '.label{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}' +
    '@media (prefers-reduced-motion:no-preference){.panel{transition:opacity .15s}}';

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var name in attrs) node.setAttribute(name, attrs[name]);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ---- the elements ----
  var host = el('div', { id: uid + '-host', 'data-troupe-chat': key });
  var target = pageMode && document.getElementById(script.getAttribute('data-target') || '');
  (target || document.body).appendChild(host);
  var root = host.attachShadow({ mode: 'open' });
  if (root.adoptedStyleSheets !== undefined && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.appendChild(el('style', {}, CSS));
  }
  var wrap = el('div', { class: pageMode ? 'page' : 'float' });
  root.appendChild(wrap);

  var launcher = null;
  if (!pageMode) {
    launcher = el('button', { type: 'button', class: 'launcher', 'aria-expanded': 'false', 'aria-controls': uid + '-panel' });
    launcher.innerHTML =
      '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true" focusable="false"><path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"/></svg>';
    launcher.appendChild(el('span', {}, 'Chat'));
    wrap.appendChild(launcher);
  }
  var panel = el('section', pageMode ? { id: uid + '-panel', class: 'panel', 'aria-labelledby': uid + '-title' } : { id: uid + '-panel', class: 'panel', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': uid + '-title', hidden: '' });
  var head = el('div', { class: 'head' });
  var title = el(pageMode ? 'h1' : 'h2', { id: uid + '-title' }, 'Chat');
  head.appendChild(title);
  var closeButton = null;
  if (!pageMode) {
    closeButton = el('button', { type: 'button', class: 'close', 'aria-label': 'Close chat' }, '\u00d7');
    head.appendChild(closeButton);
  }
  var log = el('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages', tabindex: '0' });
  var status = el('p', { class: 'status', role: 'status' });
  var form = el('form', { 'aria-label': 'Send a message' });
  var label = el('label', { class: 'label', for: uid + '-input' }, 'Your message');
  var input = el('textarea', { id: uid + '-input', rows: '1', maxlength: '4000', autocomplete: 'off' });
  var send = el('button', { type: 'submit', class: 'send' }, 'Send');
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(head);
  panel.appendChild(log);
  panel.appendChild(status);
  panel.appendChild(form);
  wrap.appendChild(panel);

  // ---- state ----
  var token = null;
  var lastSeq = 0;
  var starting = null;
  var busy = false;
  var greeting = '';
  var pollTimer = null;

  function say(text) {
    status.textContent = text || '';
  }

  function addMessage(role, text, seq) {
    if (seq !== undefined) {
      if (seq <= lastSeq) return;
      lastSeq = seq;
    }
    var item = el('div', { class: 'msg ' + role });
    item.appendChild(el('span', { class: 'who' }, role === 'visitor' ? 'You: ' : title.textContent + ': '));
    item.appendChild(document.createTextNode(text));
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function readToken() {
    try {
      return localStorage.getItem(storeKey);
    } catch {
      return null;
    }
  }
  function saveToken(value) {
    try {
      if (value) localStorage.setItem(storeKey, value);
      else localStorage.removeItem(storeKey);
    } catch {
      /* storage blocked: the session lasts as long as the page */
    }
  }

  function call(method, path, body) {
    var headers = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = 'Bearer ' + token;
    return fetch(api + path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', mode: 'cors' }).then(function (res) {
      return res
        .json()
        .catch(function () {
          return {};
        })
        .then(function (data) {
          return { status: res.status, data: data, retryAfter: res.headers.get('retry-after') };
        });
    });
  }

  function newSession() {
    token = null;
    return call('POST', '/sessions', {}).then(function (res) {
      if (res.status !== 201) throw res;
      token = res.data.token;
      saveToken(token);
    });
  }

  function loadHistory() {
    return call('GET', '/messages?after=' + lastSeq).then(function (res) {
      if (res.status === 401) throw res;
      (res.data.items || []).forEach(function (m) {
        addMessage(m.role, m.text, m.seq);
      });
      return res;
    });
  }

  // A refused origin reaches the page as a failed fetch (the browser hides the 403), like a
  // network failure; the visitor cannot act on the difference, so both read the same.
  function unavailable() {
    say('This chat is not available right now.');
  }

  /** Reads the chat's look, then resumes the stored session (its history) or starts one; once. */
  function start() {
    if (starting) return starting;
    starting = call('GET', '')
      .then(function (res) {
        if (res.status !== 200) throw res;
        var c = res.data;
        title.textContent = c.title || c.agentName || 'Chat';
        if (launcher) launcher.setAttribute('aria-label', 'Open chat: ' + title.textContent);
        if (/^#[0-9a-fA-F]{6}$/.test(c.themeColor || '')) wrap.style.setProperty('--accent', c.themeColor);
        greeting = c.greeting || '';
        token = readToken();
        var ready = token
          ? loadHistory().catch(function (e) {
              if (e && e.status === 401) return newSession();
              throw e;
            })
          : newSession();
        return ready.then(function () {
          if (lastSeq === 0 && greeting) addMessage('assistant', greeting);
        });
      })
      .catch(function (e) {
        starting = null;
        unavailable(e);
      });
    return starting;
  }

  function poll(tries) {
    clearTimeout(pollTimer);
    if (tries <= 0) return;
    pollTimer = setTimeout(function () {
      var before = lastSeq;
      loadHistory()
        .then(function () {
          if (lastSeq === before) poll(tries - 1);
          else say('');
        })
        .catch(function () {
          poll(tries - 1);
        });
    }, tries > 40 ? 3000 : 15000);
  }

  function submit(text, retried) {
    busy = true;
    send.disabled = true;
    say(title.textContent + ' is typing\u2026');
    return call('POST', '/messages', { content: text })
      .then(function (res) {
        if (res.status === 401 && !retried) {
          return newSession().then(function () {
            return submit(text, true);
          });
        }
        if (res.status === 429) {
          addMessage('visitor', text);
          say('You are sending messages too quickly. Please wait ' + (res.retryAfter || 'a few') + ' seconds.');
          return;
        }
        if (res.status !== 200 && res.status !== 202) throw res;
        (res.data.messages || []).forEach(function (m) {
          addMessage(m.role, m.text, m.seq);
        });
        say(res.data.notice || '');
        if (res.status === 202) poll(60);
      })
      .catch(unavailable)
      .then(function () {
        busy = false;
        send.disabled = false;
      });
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || busy) return;
    input.value = '';
    start().then(function () {
      if (token) submit(text, false);
    });
  });
  input.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (typeof form.requestSubmit === 'function') form.requestSubmit();
      else form.dispatchEvent(new Event('submit', { cancelable: true }));
    }
  });

  // ---- open, close, focus ----
  function focusables() {
    return Array.prototype.filter.call(panel.querySelectorAll('button, textarea, [tabindex="0"]'), function (n) {
      return !n.disabled;
    });
  }
  function open() {
    panel.hidden = false;
    launcher.setAttribute('aria-expanded', 'true');
    start();
    input.focus();
  }
  function close() {
    panel.hidden = true;
    launcher.setAttribute('aria-expanded', 'false');
    clearTimeout(pollTimer);
    launcher.focus();
  }

  if (pageMode) {
    // The page is the chat: no margin around it (set through the CSSOM, which the page's CSP allows).
    document.body.style.margin = '0';
    document.documentElement.style.background = '#f9fafb';
    start();
    input.focus();
  } else {
    launcher.addEventListener('click', function () {
      if (panel.hidden) open();
      else close();
    });
    closeButton.addEventListener('click', close);
    panel.addEventListener('keydown', function (event) {
      if (event.key === 'Escape') {
        event.preventDefault();
        close();
        return;
      }
      if (event.key !== 'Tab') return;
      // Focus stays in the open panel: Tab from the last element goes to the first, and back.
      var items = focusables();
      if (!items.length) return;
      var first = items[0];
      var last = items[items.length - 1];
      var active = root.activeElement;
      if (event.shiftKey && (active === first || !panel.contains(active))) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && active === last) {
        event.preventDefault();
        first.focus();
      }
    });
    // Fetch the title early, so the button names the chat before it is opened.
    call('GET', '').then(function (res) {
      if (res.status === 200 && res.data.title) {
        title.textContent = res.data.title;
        launcher.setAttribute('aria-label', 'Open chat: ' + res.data.title);
        if (/^#[0-9a-fA-F]{6}$/.test(res.data.themeColor || '')) wrap.style.setProperty('--accent', res.data.themeColor);
      }
    }).catch(function () {});
  }
})();
