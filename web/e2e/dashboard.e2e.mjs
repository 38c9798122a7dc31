// The dashboard end to end: a real `orderguard serve` (port 0, its own data directory) fed
// by `orderguard simulate` over HTTP, and Debian's chromium (headless) driven by
// playwright-core. No fixed delays: every wait is for a condition, with generous limits for
// a slow, shared 2-core machine. Screenshots of each view go to --artifacts.
//
//   node web/e2e/dashboard.e2e.mjs --binary build/orderguard --web web/dist --artifacts build/web-artifacts
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const { values: options } = parseArgs({
  options: {
    binary: { type: 'string', default: join(root, 'build', 'orderguard') },
    web: { type: 'string', default: join(root, 'web', 'dist') },
    artifacts: { type: 'string', default: join(root, 'build', 'web-artifacts') },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    keep: { type: 'boolean', default: false },
  },
});

const WAIT = 90_000; // any one condition, on a slow shared machine
const STEP = 240_000; // one test step
const SMALL = { width: 1366, height: 768 };
const LARGE = { width: 2560, height: 1440 };
const PHONE_SCREEN = { width: 390, height: 844 };

// The order whose state is impossible (picked up before payment): STATE_INCONSISTENT always
// goes to a person. Before the simulated day, so none of the day's events are late.
const INCONSISTENT = [
  { id: 'e2e-s1', type: 'order.created', ts: '2026-11-20T23:50:00+08:00', order_id: 'E2E-O1', user_id: 'E2E-U1', kind: 'errand', community: '北航学生公寓', address: { text: '北航学生公寓6号楼312', building: '6', room: '312', lat: 39.981, lng: 116.347 }, items: [{ sku: 'errand-express', name: '代取快递', qty: 1, unit_price: 500, category: 'errand' }], amount: 500 },
  { id: 'e2e-s2', type: 'rider.assigned', ts: '2026-11-20T23:52:00+08:00', order_id: 'E2E-O1', rider_id: 'E2E-R1' },
  { id: 'e2e-s3', type: 'delivery.picked_up', ts: '2026-11-20T23:55:00+08:00', order_id: 'E2E-O1', rider_id: 'E2E-R1' },
];
const PHONE = '13812345678';
const MASKED = '138****5678';

const work = mkdtempSync(join(tmpdir(), 'og-web-e2e-'));
const data = join(work, 'data');
let server;
let base = '';
let browser;
const tokens = {};
const consoleErrors = [];
// API answers that the steps provoke on purpose: the browser logs them, they are no errors.
const expectedFailures = [
  { path: '/v1/rules', status: 422 }, // the bad value, refused
  { path: '/v1/rules', status: 409 }, // an edit of rules changed since, refused
  { path: /^\/v1\/orders\/[^/]+\/trail$/, status: 404 }, // an order with no audit link yet
];

function run(args) {
  return execFileSync(options.binary, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

// Waits for a condition of the world outside the page (a file, an HTTP answer).
async function until(what, probe, timeout = WAIT) {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

async function api(method, path, token, body) {
  const response = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

async function feed(lines, batch = 250) {
  for (let i = 0; i < lines.length; i += batch) {
    const answer = await api('POST', '/v1/events', tokens.ingest, lines.slice(i, i + batch).join('\n') + '\n');
    assert.ok(answer.status === 200 || answer.status === 400, `POST /v1/events answered ${answer.status}`);
  }
}

async function newPage(name, { viewport = SMALL, timezoneId = 'Asia/Shanghai', locale = 'zh-CN' } = {}) {
  const context = await browser.newContext({ viewport, timezoneId, locale });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const url = message.location()?.url ?? '';
    const path = url.startsWith(base) ? new URL(url).pathname : url;
    const expected = expectedFailures.some(
      (failure) => (typeof failure.path === 'string' ? path === failure.path : failure.path.test(path)) && message.text().includes(`status of ${failure.status}`),
    );
    if (!expected) consoleErrors.push(`${name}: ${message.text()} (${url})`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`${name}: page error: ${error.message}`));
  return page;
}

async function signIn(page, token, agentId = '', screenshot = '') {
  await page.goto(base + '/');
  await page.waitForURL(/\/login/);
  await page.getByTestId('login-token').waitFor();
  if (screenshot) await shot(page, screenshot);
  await page.getByTestId('login-token').fill(token);
  if (agentId) await page.getByTestId('login-agent').fill(agentId);
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByTestId('board').waitFor();
  await page.locator('[data-testid=stream-state][data-state=live]').waitFor();
}

async function shot(page, name) {
  await page.screenshot({ path: join(options.artifacts, `${name}.png`), fullPage: false });
}

const rows = (page) => page.getByTestId('board-row');

describe('dashboard end to end', { timeout: 30 * 60_000 }, () => {
  let agent; // an agent (A1) at the desk
  let viewer; // a viewer watching the board
  let admin;
  let incidentId = '';

  before(async () => {
    assert.ok(existsSync(options.binary), `no ${options.binary}: build it first (make build)`);
    assert.ok(existsSync(join(options.web, 'index.html')), `no ${options.web}/index.html: build the dashboard first (make build)`);
    assert.ok(existsSync(options.chromium), `no ${options.chromium}: scripts/install-deps installs Debian's chromium`);
    rmSync(options.artifacts, { recursive: true, force: true });
    mkdirSync(options.artifacts, { recursive: true });
    // A simulated grocery day with many planted exceptions, fed over HTTP in the first step.
    run(['simulate', '--platform', 'grocery', '--orders', '400', '--seed', '11', '--incident-rate', '0.3', '--out', join(work, 'events.ndjson'), '--truth', join(work, 'truth.ndjson')]);
    for (const role of ['ingest', 'viewer', 'agent', 'supervisor', 'admin']) {
      // A person's agent token acts as its agent, A1 here.
      const bound = role === 'agent' ? ['--agent', 'A1'] : [];
      tokens[role] = run(['tokens', 'create', '--data', data, '--role', role, '--name', `e2e ${role}`, ...bound]);
    }
    const portFile = join(work, 'port');
    server = spawn(options.binary, ['serve', '--data', data, '--listen', '127.0.0.1:0', '--port-file', portFile, '--web', options.web, '--quiet-after', '2s'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    server.stderr.on('data', (chunk) => (log += chunk));
    server.on('exit', (code) => {
      if (code !== 0 && code !== null) console.error(`orderguard serve exited with ${code}:\n${log}`);
    });
    const port = await until('the port file', async () => {
      const text = existsSync(portFile) ? readFileSync(portFile, 'utf8').trim() : '';
      return /^\d+$/.test(text) ? text : '';
    });
    base = `http://127.0.0.1:${port}`;
    await until('readiness', async () => (await fetch(base + '/readyz')).ok);
    browser = await chromium.launch({
      executablePath: options.chromium,
      headless: true,
      // Playwright starts chromium with a fresh temporary --user-data-dir of its own.
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((done) => server.on('exit', done));
      server.kill('SIGTERM');
      await exited;
    }
    if (!options.keep) rmSync(work, { recursive: true, force: true });
  });

  it('signs in, and the board fills live from the stream', { timeout: STEP }, async () => {
    viewer = await newPage('viewer', { timezoneId: 'Europe/London' });
    await signIn(viewer, tokens.viewer);
    agent = await newPage('agent');
    await signIn(agent, tokens.agent, '', '01-login');
    assert.ok((await agent.getByTestId('who').innerText()).includes('A1'), 'the token acts as A1');
    assert.equal(await rows(agent).count(), 0);
    // No reload from here on: what arrives, arrives over the stream.
    await agent.evaluate(() => (window.__sameDocument = true));

    const events = readFileSync(join(work, 'events.ndjson'), 'utf8').split('\n').filter(Boolean);
    await feed(INCONSISTENT.map((event) => JSON.stringify(event)));
    const feeding = feed(events);
    await agent.waitForFunction(() => document.querySelectorAll('[data-testid=board-row]').length >= 20, null, { polling: 250, timeout: WAIT });
    await feeding;
    // The desk: A1 takes the risk cases (STATE_INCONSISTENT among them), A2 everything else,
    // both with room to spare; no supervisor on duty, so a missed SLA stays with its agent.
    // They join once the day is in: an agent's action is stamped just past the watermark, or
    // with the wall clock before any event, which would put event time after the whole day.
    for (const agentBody of [
      { agent_id: 'A1', name: '王芳', skills: ['risk'], capacity: 30, on_duty: true },
      { agent_id: 'A2', name: '李强', skills: ['payment', 'inventory', 'delivery', 'aftersale'], capacity: 100, on_duty: true },
    ]) {
      const joined = await api('POST', '/v1/agents', tokens.supervisor, agentBody);
      assert.equal(joined.status, 200, JSON.stringify(joined.json));
    }
    assert.equal(await agent.evaluate(() => window.__sameDocument), true, 'the board was reloaded');
    // Counts at a glance follow.
    await agent.waitForFunction(() => Number(document.querySelector('[data-testid=count-total]')?.textContent) >= 20, null, { polling: 250 });
    // Priority order, colour by severity.
    const priorities = await rows(agent).evaluateAll((trs) => trs.map((tr) => Number(tr.querySelector('td')?.textContent)));
    assert.deepEqual(priorities, [...priorities].sort((a, b) => b - a), 'sorted by priority');
    // Found and read in one step inside the page: the live board re-renders its rows as the
    // stream goes on, and a chip found first and read after may be gone by then (no style).
    const colour = await (
      await agent.waitForFunction(() => {
        const chip = document.querySelector('[data-testid=board-row][data-severity=high] .chip.sev');
        return chip?.isConnected ? getComputedStyle(chip).color : '';
      }, null, { polling: 250 })
    ).jsonValue();
    assert.equal(colour, 'rgb(197, 34, 31)');
    await shot(agent, '02-board');
    await viewer.waitForFunction(() => document.querySelectorAll('[data-testid=board-row]').length >= 20, null, { polling: 250 });
  });

  it('a filter narrows the board', { timeout: STEP }, async () => {
    const before = await rows(agent).count();
    await agent.getByTestId('filter-severity').selectOption('high');
    await agent.waitForFunction(
      () => {
        const trs = [...document.querySelectorAll('[data-testid=board-row]')];
        return trs.length > 0 && trs.every((tr) => tr.getAttribute('data-severity') === 'high');
      },
      null,
      { polling: 250 },
    );
    assert.ok((await rows(agent).count()) < before, 'fewer rows');
    assert.match(agent.url(), /severity=high/);
    await shot(agent, '03-board-filtered');
    await agent.getByTestId('filter-severity').selectOption('');
    // Still being worked: open, handling, escalated or assigned.
    await agent.getByTestId('filter-status').selectOption('active');
    await agent.waitForFunction(
      () => {
        const trs = [...document.querySelectorAll('[data-testid=board-row]')];
        return trs.length > 0 && trs.every((tr) => ['open', 'handling', 'escalated', 'assigned'].includes(tr.getAttribute('data-status')));
      },
      null,
      { polling: 250 },
    );
    await agent.getByTestId('filter-status').selectOption('');
    await agent.getByTestId('filter-type').selectOption('STATE_INCONSISTENT');
    await agent.waitForFunction(
      () => {
        const trs = [...document.querySelectorAll('[data-testid=board-row]')];
        return trs.length > 0 && trs.every((tr) => tr.getAttribute('data-type') === 'STATE_INCONSISTENT');
      },
      null,
      { polling: 250 },
    );
    // The order planted above is escalated and with A1.
    const row = agent.locator('[data-testid=board-row][data-type=STATE_INCONSISTENT][data-status=assigned]').filter({ hasText: 'E2E-O1' });
    await row.waitFor();
    incidentId = await row.getAttribute('data-id');
    assert.match(incidentId, /^inc-/);
    // The viewer watches the same incident on its board.
    await viewer.getByTestId('filter-type').selectOption('STATE_INCONSISTENT');
    await viewer.locator(`[data-testid=board-row][data-id="${incidentId}"][data-status=assigned]`).waitFor();
  });

  it('an agent acknowledges and resolves an incident, and the board updates', { timeout: STEP }, async () => {
    await agent.locator(`[data-testid=board-row][data-id="${incidentId}"] a.row-link`).click();
    await agent.getByTestId('incident-page').waitFor();
    await agent.getByTestId('timeline').waitFor();
    await agent.getByTestId('timeline').getByText('骑手取货').waitFor(); // the order's own milestones
    await agent.getByTestId('action-ack').click();
    await agent.getByTestId('action-notice').filter({ hasText: '已提交' }).waitFor();
    await agent.getByTestId('action-ack').waitFor({ state: 'detached' });
    await agent.getByTestId('action-comment').click();
    await agent.getByTestId('comment-text').fill(`已联系骑手，客户电话 ${PHONE}`);
    await agent.getByTestId('submit-comment').click();
    await agent.getByTestId('comments').getByText(MASKED).waitFor();
    await shot(agent, '04-incident');
    await agent.getByTestId('action-resolve').click();
    await agent.getByTestId('resolve-code').selectOption('fixed');
    await agent.getByTestId('resolve-note').fill('核实为先取货后付款，已补登支付');
    await agent.getByTestId('submit-resolve').click();
    await agent.locator('.incident-head .chip.status-resolved').waitFor();
    await agent.getByTestId('actions').getByText('此异常已关闭').waitFor();
    await agent.getByTestId('trail').waitFor(); // the order's links of the audit chain
    await shot(agent, '05-incident-resolved');
    // Both boards show it resolved without a reload: the viewer's over the stream.
    await viewer.locator(`[data-testid=board-row][data-id="${incidentId}"][data-status=resolved]`).waitFor();
    await agent.getByRole('link', { name: '返回看板' }).click();
    await agent.locator(`[data-testid=board-row][data-id="${incidentId}"][data-status=resolved]`).waitFor();
    assert.equal(await agent.evaluate(() => window.__sameDocument), true, 'the page was reloaded');
  });

  it('a viewer sees masked data and no action buttons', { timeout: STEP }, async () => {
    // What a viewer cannot do is not offered.
    assert.equal(await viewer.locator('[data-nav="/rules"], [data-nav="/workbench"], [data-nav="/audit"]').count(), 0);
    await viewer.locator(`[data-testid=board-row][data-id="${incidentId}"] a.row-link`).click();
    await viewer.getByTestId('comments').waitFor();
    const text = await viewer.getByTestId('incident-page').innerText();
    assert.ok(text.includes(MASKED), 'the masked phone is shown');
    assert.ok(!text.includes(PHONE), 'the full phone is not shown');
    assert.equal(await viewer.locator('[data-action]').count(), 0, 'no action buttons');
    assert.equal(await viewer.getByTestId('actions').count(), 0);
    assert.equal(await viewer.getByTestId('action-unmask').count(), 0, 'unmasking is offered to supervisors only');
    // Times are in the viewer's own zone (London here, Shanghai for the agent).
    assert.ok((await viewer.getByTestId('who').locator('..').innerText()).includes('Europe/London'));
    await shot(viewer, '06-viewer-incident');
    // The API refuses an action for a viewer too.
    const refused = await api('POST', `/v1/incidents/${incidentId}/comment`, tokens.viewer, { agent_id: 'A1', text: 'x' });
    assert.equal(refused.status, 403);
  });

  it('the rules page rejects a bad value in place, and applies a good one live', { timeout: STEP }, async () => {
    admin = await newPage('admin');
    await signIn(admin, tokens.admin);
    await admin.locator('[data-nav="/rules"]').click();
    const editor = admin.getByTestId('rules-editor');
    await admin.waitForFunction(() => document.querySelector('[data-testid=rules-editor]')?.value.includes('PAYMENT_TIMEOUT'), null, { polling: 250 });
    const versionBefore = (await api('GET', '/v1/rules', tokens.admin)).json.version;
    const original = await editor.inputValue();
    const good = /^types\.PAYMENT_TIMEOUT\.timeout = "15m"$/m.exec(original);
    assert.ok(good, 'the rules show PAYMENT_TIMEOUT.timeout');
    const badLine = original.slice(0, good.index).split('\n').length;
    const bad = original.slice(0, good.index) + 'types.PAYMENT_TIMEOUT.timeout = "soon"' + original.slice(good.index + good[0].length);
    await editor.fill(bad);
    await admin.getByTestId('rules-apply').click();
    await admin.getByTestId('rules-inline-error').waitFor({ state: 'visible' });
    const status = await admin.getByTestId('rules-status').innerText();
    assert.ok(status.includes('规则无效'), status);
    assert.ok(status.includes('PAYMENT_TIMEOUT.timeout'), status);
    assert.ok(status.includes(`第 ${badLine} 行`), `${status} (line ${badLine})`);
    assert.ok(await admin.getByTestId("rules-inline-error").isVisible(), "the reason is shown beside the line");
    assert.equal(await admin.locator('.gutter div.bad').innerText(), String(badLine));
    assert.equal(await editor.getAttribute('aria-invalid'), 'true');
    assert.equal((await api('GET', '/v1/rules', tokens.admin)).json.version, versionBefore, 'nothing was applied');
    await shot(admin, '07-rules-invalid');
    await editor.fill(bad.replace('timeout = "soon"', 'timeout = "20m"'));
    await admin.getByTestId('rules-apply').click();
    await admin.getByTestId('rules-applied').getByText('types.PAYMENT_TIMEOUT.timeout').waitFor();
    const after = (await api('GET', '/v1/rules', tokens.admin)).json;
    assert.notEqual(after.version, versionBefore);
    assert.equal(await admin.getByTestId('rules-version').getAttribute('data-version'), after.version, 'the version the apply made');
    assert.ok(after.toml.includes('timeout = "20m"'));
    // Someone else applies rules meanwhile: this page's next edit was made on the old ones, and
    // is refused with what to do, nothing applied; the newer rules load when asked.
    const theirs = await api('PUT', '/v1/rules', tokens.admin, { toml: after.toml.replace('timeout = "20m"', 'timeout = "25m"') });
    assert.equal(theirs.status, 200);
    const theirVersion = (await api('GET', '/v1/rules', tokens.admin)).json.version;
    await editor.fill((await editor.inputValue()).replace('timeout = "20m"', 'timeout = "30m"'));
    await admin.getByTestId('rules-apply').click();
    await admin.getByTestId('rules-stale').waitFor();
    assert.ok((await admin.getByTestId('rules-stale').innerText()).includes('规则已被他人修改'));
    assert.equal((await api('GET', '/v1/rules', tokens.admin)).json.version, theirVersion, 'nothing was applied');
    assert.ok((await editor.inputValue()).includes('types.PAYMENT_TIMEOUT.timeout = "30m"'), 'the edit is kept');
    await admin.getByTestId('rules-reload').click();
    await admin.waitForFunction(() => document.querySelector('[data-testid=rules-editor]')?.value.includes('timeout = "25m"'), null, { polling: 250 });
    assert.equal(await admin.getByTestId('rules-version').getAttribute('data-version'), theirVersion);
  });

  it('analytics, workbench and audit views', { timeout: STEP }, async () => {
    await admin.locator('[data-nav="/analytics"]').click();
    await admin.locator('[data-testid=chart-time] canvas').first().waitFor();
    await admin.locator('[data-testid=chart-heat] canvas').first().waitFor();
    await admin.getByTestId('kpi-auto_handling_rate').waitFor();
    await admin.getByTestId('per-type').getByText('状态不一致').waitFor();
    // By zone and by community too, as GET /v1/kpis has them (INTERFACES.md).
    const kpis = await api('GET', '/v1/kpis', tokens.viewer);
    const zones = Object.keys(kpis.json.by_zone);
    assert.ok(zones.length > 0, 'the day has zones');
    await admin.getByTestId('per-zone').getByRole('rowheader', { name: zones[0], exact: true }).waitFor();
    assert.equal(await admin.getByTestId('per-community').locator('tbody tr').count(), Object.keys(kpis.json.by_community).length);
    await shot(admin, '08-analytics');
    await admin.locator('[data-nav="/audit"]').click();
    // The chain of this run's people's actions and rules changes: its status, then verified.
    await admin.getByTestId('audit-verdict').filter({ hasText: '未校验' }).waitFor();
    assert.ok(Number(await admin.getByTestId('audit-records').innerText()) > 0, 'the chain has links');
    await admin.getByTestId('audit-verify').click();
    await admin.getByTestId('audit-verdict').filter({ hasText: '完整' }).waitFor();
    await shot(admin, '09-audit');
    await agent.locator('[data-nav="/workbench"]').click();
    await agent.getByTestId('my-duty').waitFor();
    await agent.getByTestId('queue-row').first().or(agent.getByTestId('queue-empty')).waitFor();
    await shot(agent, '10-workbench');
    // An agent declares their own duty (INTERFACES.md: supervisor / agent): off, then on again.
    await agent.getByTestId('my-duty').filter({ hasText: '值班中' }).waitFor();
    await agent.locator('[data-testid^="duty-"]').click();
    await agent.getByTestId('my-duty').filter({ hasText: '未值班' }).waitFor();
    await agent.locator('[data-testid^="duty-"]').click();
    await agent.getByTestId('my-duty').filter({ hasText: '值班中' }).waitFor();
  });

  it('English on a switch; usable at 1366×768 and on a large monitor; keyboard reachable', { timeout: STEP }, async () => {
    await agent.locator('[data-nav="/"]').click();
    await agent.getByTestId('filter-clear').click();
    await agent.getByTestId('lang').click();
    await agent.locator('[data-nav="/"]', { hasText: 'Live board' }).waitFor();
    await shot(agent, '11-board-english');
    await agent.getByTestId('lang').click();
    await agent.locator('[data-nav="/"]', { hasText: '实时看板' }).waitFor();
    // No sideways scrolling of the page at 1366×768.
    const overflow = await agent.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the window`);
    // Keyboard: from the top of the page, Tab reaches a row's link and Enter opens it.
    await agent.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
    let reached = false;
    for (let i = 0; i < 60 && !reached; i++) {
      await agent.keyboard.press('Tab');
      reached = await agent.evaluate(() => document.activeElement?.matches('a.row-link') ?? false);
    }
    assert.ok(reached, 'Tab reaches the rows');
    await agent.keyboard.press('Enter');
    await agent.getByTestId('incident-page').waitFor();
    const large = await newPage('large', { viewport: LARGE });
    await signIn(large, tokens.supervisor, 'A1');
    await large.waitForFunction(() => document.querySelectorAll('[data-testid=board-row]').length >= 20, null, { polling: 250 });
    await shot(large, '12-board-large');
    await large.context().close();
    // A phone: the menu and sign-out stay on the screen, and the page does not scroll sideways.
    const phone = await newPage('phone', { viewport: PHONE_SCREEN });
    await signIn(phone, tokens.supervisor, 'A1');
    await phone.waitForFunction(() => document.querySelectorAll('[data-testid=board-row]').length >= 20, null, { polling: 250 });
    for (const path of ['/', '/workbench']) {
      await phone.locator(`[data-nav="${path}"]`).click();
      const wide = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(wide <= 0, `${path} is ${wide}px wider than a phone`);
    }
    const signOut = await phone.getByTestId('signout').boundingBox();
    assert.ok(signOut && signOut.x + signOut.width <= PHONE_SCREEN.width, 'sign-out is on the screen');
    await shot(phone, '13-phone');
    await phone.context().close();
  });

  it('no console errors', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
