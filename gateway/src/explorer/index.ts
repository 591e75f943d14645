import express, { type Router } from 'express';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Where an npm package's files are, resolved from the gateway (which pins React 18 for GraphiQL 3). */
function packageDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`, { paths: [__dirname] }));
}

/**
 * The files the explorer page loads, by the name it asks for. Only these are served: GraphiQL
 * 3.9's ready UMD build on React 18's UMD builds, and the explorer plugin's UMD build — from
 * node_modules, so the explorer needs no CDN and works offline.
 */
export function explorerAssets(): Record<string, string> {
  const react = packageDir('react');
  const reactDom = packageDir('react-dom');
  const graphiql = packageDir('graphiql');
  const plugin = packageDir('@graphiql/plugin-explorer');
  const graphqlWs = packageDir('graphql-ws');
  return {
    'react.production.min.js': path.join(react, 'umd/react.production.min.js'),
    'react-dom.production.min.js': path.join(reactDom, 'umd/react-dom.production.min.js'),
    'graphiql.min.js': path.join(graphiql, 'graphiql.min.js'),
    'graphiql.min.css': path.join(graphiql, 'graphiql.min.css'),
    'plugin-explorer.umd.js': path.join(plugin, 'dist/index.umd.js'),
    'plugin-explorer.css': path.join(plugin, 'dist/style.css'),
    'graphql-ws.min.js': path.join(graphqlWs, 'umd/graphql-ws.min.js'),
    'explorer.js': path.join(__dirname, 'static/explorer.js'),
    'explorer.css': path.join(__dirname, 'static/explorer.css'),
  };
}

/**
 * Same-origin scripts and styles only; GraphiQL sets inline styles and uses data: URLs for
 * icons. The page talks to /graphql on its own origin.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * `GET /explorer`: GraphiQL for analysts and developers. The page asks for an email and
 * password (→ `login` → token) or an API key, then opens GraphiQL with the `Authorization`
 * (or `x-api-key`) header set; GraphiQL loads the schema docs through introspection, which the
 * gateway allows to signed-in users and first-party keys. Subscriptions run over graphql-ws on
 * the same origin's /graphql, with the same credential in `connection_init`.
 */
export function explorerRouter(): Router {
  const assets = explorerAssets();
  for (const file of Object.values(assets)) readFileSync(file); // fail at start, not in a browser
  const router = express.Router();
  router.use((_req, res, next) => {
    res.setHeader('content-security-policy', CSP);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    next();
  });
  router.get('/', (_req, res) => {
    res.setHeader('cache-control', 'no-store');
    res.type('html').send(PAGE);
  });
  router.get('/assets/:name', (req, res) => {
    // Own keys only: `constructor`, `__proto__` and friends are not assets (they used to reach
    // sendFile as functions and answer 500).
    const name = req.params.name;
    const file = Object.prototype.hasOwnProperty.call(assets, name) ? assets[name] : undefined;
    if (typeof file !== 'string') {
      res.status(404).type('text/plain').send('Not found');
      return;
    }
    res.sendFile(file, { maxAge: '1h', dotfiles: 'deny' });
  });
  return router;
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard explorer</title>
<link rel="stylesheet" href="/explorer/assets/graphiql.min.css">
<link rel="stylesheet" href="/explorer/assets/plugin-explorer.css">
<link rel="stylesheet" href="/explorer/assets/explorer.css">
</head>
<body>
<main id="signin" hidden>
  <h1>Switchboard explorer</h1>
  <form id="login-form" autocomplete="on">
    <h2>Sign in</h2>
    <label>Email <input id="email" name="email" type="email" autocomplete="username" required></label>
    <label>Password <input id="password" name="password" type="password" autocomplete="current-password" required></label>
    <button id="login-button" type="submit">Sign in</button>
  </form>
  <form id="key-form">
    <h2>or use an API key</h2>
    <label>API key <input id="api-key" name="apiKey" type="password" placeholder="sb_…" autocomplete="off" required></label>
    <button id="key-button" type="submit">Use key</button>
  </form>
  <p id="signin-error" role="alert"></p>
</main>
<div id="explorer" hidden>
  <header id="bar"><strong>Switchboard explorer</strong> <span id="who"></span> <button id="signout" type="button">Sign out</button></header>
  <div id="graphiql"></div>
</div>
<script src="/explorer/assets/react.production.min.js"></script>
<script src="/explorer/assets/react-dom.production.min.js"></script>
<script src="/explorer/assets/graphiql.min.js"></script>
<script src="/explorer/assets/plugin-explorer.umd.js"></script>
<script src="/explorer/assets/graphql-ws.min.js"></script>
<script src="/explorer/assets/explorer.js"></script>
</body>
</html>
`;
