import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { startEdgeStack, type EdgeStack } from './edge-stack';

/** The page's global, as the callbacks given to page.evaluate see it (this file compiles without the DOM lib). */
declare const document: { querySelector(selector: string): any; querySelectorAll(selector: string): Iterable<any>; getElementById(id: string): any };

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const OUTPUT = path.resolve(__dirname, '../test-output');
const inBrowser = existsSync(CHROMIUM) ? it : it.skip;
if (!existsSync(CHROMIUM)) console.warn(`explorer.test: ${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it): the browser test is skipped`);

let stack: EdgeStack;
let origin: string;
beforeAll(async () => {
  stack = await startEdgeStack();
  origin = stack.gateway.url.replace('/graphql', '');
});
afterAll(() => stack.close());

describe('GET /explorer', () => {
  it('serves a page that loads only same-origin files, under a strict CSP', async () => {
    const res = await fetch(`${origin}/explorer`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//); // no CDN
    const srcs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(srcs.length).toBeGreaterThanOrEqual(8);
    for (const src of srcs) {
      expect(src.startsWith('/explorer/assets/')).toBe(true);
      const asset = await fetch(`${origin}${src}`);
      expect({ src, status: asset.status }).toEqual({ src, status: 200 });
      expect(asset.headers.get('content-type')).toMatch(src.endsWith('.css') ? /text\/css/ : /javascript/);
    }
  });

  it('serves the pinned UMD builds: React 18.3.1 and GraphiQL 3', async () => {
    const react = await (await fetch(`${origin}/explorer/assets/react.production.min.js`)).text();
    expect(react).toContain('18.3.1');
    const graphiql = await (await fetch(`${origin}/explorer/assets/graphiql.min.js`)).text();
    expect(graphiql).toContain('createFetcher');
  });

  it('serves nothing else from node_modules', async () => {
    for (const p of ['/explorer/assets/package.json', '/explorer/assets/..%2F..%2Fpackage.json', '/explorer/assets/%2e%2e%2fapp.ts']) {
      expect((await fetch(`${origin}${p}`)).status).toBe(404);
    }
  });

  it('answers 404, not 500, for asset names that are properties of every object', async () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '%00', 'x'.repeat(300)]) {
      expect({ name, status: (await fetch(`${origin}/explorer/assets/${name}`)).status }).toEqual({ name, status: 404 });
    }
  });
});

describe('the explorer in Chromium', () => {
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
  });

  inBrowser('lets the demo analyst sign in, read the schema docs and run a query from the editor', async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const foreign: string[] = [];
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.origin === origin) return route.continue();
      foreign.push(url.href); // offline: nothing may leave for a CDN
      return route.abort();
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));

    await page.goto(`${origin}/explorer`);
    await page.fill('#email', 'analyst@acme.test');
    await page.fill('#password', 'switchboard-demo');
    await page.click('#login-button');
    await page.waitForSelector('.graphiql-query-editor .CodeMirror');
    await expect(page.textContent('#who')).resolves.toContain('analyst@acme.test (ANALYST)');

    // The Authorization header is set for the analyst, visibly, in GraphiQL's headers editor.
    const tools = await page.evaluate(() => [...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')].map((e) => e.CodeMirror.getValue() as string));
    expect(tools.find((t) => t.includes('Authorization'))).toMatch(/"Authorization": "Bearer [\w-]+\.[\w-]+\.[\w-]+"/);

    // The schema docs load through introspection, which the analyst may run.
    await page.click('button[aria-label="Show Documentation Explorer"]');
    await page.waitForSelector('.graphiql-doc-explorer', { timeout: 15_000 });
    await page.click('.graphiql-doc-explorer a.graphiql-doc-explorer-type-name:has-text("Query")');
    await page.waitForSelector('.graphiql-doc-explorer-field-name:has-text("users")');

    const query = 'query AnalystView {\n  me { email role }\n  users(first: 3) { totalCount nodes { email role } }\n}';
    // Type it into the query editor, as a person would (replacing the welcome query).
    await page.click('.graphiql-query-editor .CodeMirror');
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(query);
    expect(await page.evaluate(() => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue())).toBe(query);
    // GraphiQL reads the operation name from the editor 100 ms after a change: wait for it, not for time.
    await page.waitForFunction(() => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.operationName === 'AnalystView');
    await page.click('.graphiql-execute-button');
    await page.waitForFunction(() => document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue().includes('totalCount'), undefined, { timeout: 15_000 });
    const result = JSON.parse(await page.evaluate(() => document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()));
    expect(result.errors).toBeUndefined();
    expect(result.data.me).toEqual({ email: 'analyst@acme.test', role: 'ANALYST' });
    expect(result.data.users.nodes).toHaveLength(3);
    expect(result.data.users.totalCount).toBeGreaterThanOrEqual(5);

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, 'explorer.png') });
    expect(existsSync(path.join(OUTPUT, 'explorer.png'))).toBe(true);
    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
  });

  inBrowser('shows the sign-in error for a wrong password and opens no editor', async () => {
    const { chromium } = await import('playwright-core');
    browser ??= await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    const page = await browser.newPage();
    await page.goto(`${origin}/explorer`);
    await page.fill('#email', 'analyst@acme.test');
    await page.fill('#password', 'not-the-password');
    await page.click('#login-button');
    await page.waitForFunction(() => document.getElementById('signin-error').textContent !== '');
    expect(await page.textContent('#signin-error')).toBe('Invalid email or password');
    expect(await page.isVisible('#graphiql')).toBe(false);
    await page.close();
  });
});
