import { seedDemoConversations } from '@switchboard/conversations';
import { demoDirectory } from '@switchboard/tenants';
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { startStack, type Stack } from './stack';

/** The page's global, as the callbacks given to page.evaluate see it (this file compiles without the DOM lib). */
declare const document: { querySelector(selector: string): any };

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const inBrowser = existsSync(CHROMIUM) ? it : it.skip;
if (!existsSync(CHROMIUM)) console.warn(`explorer-live.test: ${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it): the browser test is skipped`);

let stack: Stack;
let browser: Browser | undefined;
beforeAll(async () => {
  stack = await startStack({ conversations: true });
  await seedDemoConversations(stack.conversations! as never, await demoDirectory(stack.tenants.orm));
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('the explorer runs subscriptions over graphql-ws', () => {
  it('serves the graphql-ws browser build from node_modules', async () => {
    const origin = stack.gateway.url.replace('/graphql', '');
    const res = await fetch(`${origin}/explorer/assets/graphql-ws.min.js`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('graphqlWs');
  });

  inBrowser('a supervisor subscribes to the queue in GraphiQL and sees a conversation change live', async () => {
    const origin = stack.gateway.url.replace('/graphql', '');
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    const context = await browser.newContext();
    const foreign: string[] = [];
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.origin === origin) return route.continue();
      foreign.push(url.href); // offline: nothing may leave for a CDN
      return route.abort();
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    await page.goto(`${origin}/explorer`);
    await page.fill('#email', 'supervisor@acme.test');
    await page.fill('#password', 'switchboard-demo');
    await page.click('#login-button');
    await page.waitForSelector('.graphiql-query-editor .CodeMirror');

    const query = 'subscription Queue {\n  conversationUpdated { id status }\n}';
    await page.click('.graphiql-query-editor .CodeMirror');
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(query);
    await page.waitForFunction(() => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.operationName === 'Queue');
    await page.click('.graphiql-execute-button');
    // Subscribed once the gateway counts the subscriber; then something changes in the queue.
    const deadline = Date.now() + 15_000;
    while (stack.gateway.subscriptions!.stats().subscribers === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(stack.gateway.subscriptions!.stats().subscribers).toBe(1);

    const admin = await stack.as('admin@acme.test');
    const queue = await stack.gql(`{ conversations(first: 1, filter: { status: [QUEUED] }) { nodes { id } } }`, {}, admin);
    const id = queue.data.conversations.nodes[0].id as string;
    const agent = (await stack.gql(`{ me { id } }`, {}, await stack.as('agent@acme.test'))).data.me.id as string;
    const assigned = await stack.gql(`mutation($id: ID!, $u: ID!) { assignConversation(id: $id, userId: $u) { id status } }`, { id, u: agent }, admin);
    expect(assigned.errors).toBeUndefined();

    await page.waitForFunction((cid: string) => document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue().includes(cid), id, { timeout: 15_000 });
    const result = JSON.parse(await page.evaluate(() => document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()));
    expect(result).toEqual({ data: { conversationUpdated: { id, status: assigned.data.assignConversation.status } } });
    expect(problems).toEqual([]);
    expect(foreign).toEqual([]);
  }, 60_000);
});
