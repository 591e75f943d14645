/* The Switchboard explorer: sign in (or paste an API key), then GraphiQL with the credential
 * in its headers. Plain ES2017 on the UMD globals React, ReactDOM, GraphiQL and
 * GraphiQLPluginExplorer (and graphqlWs for subscriptions); no build step. The credential lives in sessionStorage: it is gone
 * when the tab closes. */
(function () {
  'use strict';
  var STORE = 'switchboard.explorer.credential';
  var ENDPOINT = '/graphql';
  var DEFAULT_QUERY = [
    '# Welcome to the Switchboard explorer.',
    '# The Docs and Explorer panes on the left show the schema; run with Ctrl-Enter.',
    '',
    'query Me {',
    '  me {',
    '    email',
    '    role',
    '    tenant { slug name plan }',
    '  }',
    '}',
    '',
  ].join('\n');

  var $ = function (id) { return document.getElementById(id); };

  function credential() {
    try { return JSON.parse(sessionStorage.getItem(STORE) || 'null'); } catch (e) { return null; }
  }

  function headersFor(c) {
    return c.token ? { Authorization: 'Bearer ' + c.token } : { 'x-api-key': c.apiKey };
  }

  function showError(message) { $('signin-error').textContent = message || ''; }

  function signIn(event) {
    event.preventDefault();
    showError('');
    $('login-button').disabled = true;
    fetch(ENDPOINT, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation ExplorerLogin($email: String!, $password: String!) { login(email: $email, password: $password) { token user { email role } } }',
        variables: { email: $('email').value, password: $('password').value },
        operationName: 'ExplorerLogin',
      }),
    })
      .then(function (res) { return res.json(); })
      .then(function (body) {
        var login = body && body.data && body.data.login;
        if (!login) throw new Error((body.errors && body.errors[0] && body.errors[0].message) || 'Sign-in failed');
        sessionStorage.setItem(STORE, JSON.stringify({ token: login.token, label: login.user.email + ' (' + login.user.role + ')' }));
        $('password').value = '';
        start();
      })
      .catch(function (error) { showError(error.message); })
      .then(function () { $('login-button').disabled = false; });
  }

  function useKey(event) {
    event.preventDefault();
    var key = $('api-key').value.trim();
    if (!key) return;
    sessionStorage.setItem(STORE, JSON.stringify({ apiKey: key, label: 'API key ' + key.split('_').slice(0, 2).join('_') + '_…' }));
    $('api-key').value = '';
    start();
  }

  function signOut() {
    sessionStorage.removeItem(STORE);
    location.reload();
  }

  var root = null;
  var wsClient = null;
  function start() {
    var c = credential();
    if (!c) {
      $('explorer').hidden = true;
      $('signin').hidden = false;
      $('email').focus();
      return;
    }
    $('signin').hidden = true;
    $('explorer').hidden = false;
    $('who').textContent = c.label || '';
    var headers = headersFor(c);
    // Subscriptions go over graphql-ws on the same origin and path, the credential in connection_init.
    var wsUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + ENDPOINT;
    if (wsClient) wsClient.dispose();
    wsClient = graphqlWs.createClient({
      url: wsUrl,
      lazy: true,
      connectionParams: c.token ? { authorization: 'Bearer ' + c.token } : { apiKey: c.apiKey },
    });
    var fetcher = GraphiQL.createFetcher({ url: ENDPOINT, headers: headers, wsClient: wsClient });
    var explorer = GraphiQLPluginExplorer.explorerPlugin();
    root = root || ReactDOM.createRoot($('graphiql'));
    root.render(
      React.createElement(GraphiQL, {
        fetcher: fetcher,
        plugins: [explorer],
        defaultQuery: DEFAULT_QUERY,
        headers: JSON.stringify(headers, null, 2),
        shouldPersistHeaders: false,
        isHeadersEditorEnabled: true,
        defaultEditorToolsVisibility: 'headers',
      }),
    );
  }

  $('login-form').addEventListener('submit', signIn);
  $('key-form').addEventListener('submit', useKey);
  $('signout').addEventListener('click', signOut);
  start();
})();
