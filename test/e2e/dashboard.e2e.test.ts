/**
 * `npm start` as an operator meets it, in a real browser: Node-RED started with this package's
 * settings (dist/settings.js) and the shipped flows; the editor and the dashboard need a login;
 * overview → asset → trend takes at most three clicks; an alert raised by the simulated plant is
 * acknowledged on the alerts page. Screenshots go to a temporary folder, or to docs/screenshots/
 * for the README when SCREENSHOTS_DIR=docs/screenshots is set.
 * The browser tests are skipped, with a message, when Chromium is not installed at /usr/bin/chromium.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { waitFor, type FlowNode } from '../support/runtime';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const projectRoot = path.resolve(__dirname, '..', '..', '..');
const screenshots = process.env.SCREENSHOTS_DIR
  ? path.resolve(projectRoot, process.env.SCREENSHOTS_DIR)
  : fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-screenshots-'));
const USER = 'operator';
const PASSWORD = 'e2e-only-password';
/** The simulated plant's asset whose bearing fails in the shipped flow. */
const FAILING_ASSET = 'P-102';
const chromiumMissing = fs.existsSync(CHROMIUM) ? false : `Chromium is not installed at ${CHROMIUM} (apt-get install chromium): browser tests skipped`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The shipped flows as `npm start` seeds them, and the classic dashboard example on a tab of its own. */
function testFlows(): FlowNode[] {
  const nodes = new Map<string, FlowNode>();
  for (const file of ['flows/plant-monitoring.json', 'flows/dashboard.json', 'flows/training.json']) {
    const flow = JSON.parse(fs.readFileSync(path.join(projectRoot, file), 'utf8')) as FlowNode[];
    for (const node of flow) if (!nodes.has(node.id)) nodes.set(node.id, node);
  }
  const classic = JSON.parse(fs.readFileSync(path.join(projectRoot, 'examples', 'classic-dashboard', '01 - Plant overview and asset pages.json'), 'utf8')) as FlowNode[];
  nodes.set('classic-tab', { id: 'classic-tab', type: 'tab', label: 'Classic dashboard' });
  for (const node of classic) nodes.set(node.id, 'x' in node ? { ...node, z: 'classic-tab' } : node);
  return [...nodes.values()];
}

interface NodeRedProcess {
  baseUrl: string;
  userDir: string;
  output: () => string;
  stop(): Promise<void>;
}

/** `npm start`'s command in a fresh user directory, embedded broker and database. */
async function startNodeRed(env: Record<string, string>, flows?: FlowNode[]): Promise<NodeRedProcess> {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-e2e-'));
  if (flows) fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
  const port = await freePort();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, NODE_RED_USER_DIR: userDir, PORT: String(port),
    HOST: '127.0.0.1', MQTT_EMBEDDED_PORT: String(await freePort()), NODE_RED_LOG_LEVEL: 'info' };
  for (const name of ['MQTT_URL', 'PG_URL', 'MQTT_HOST', 'MQTT_PORT', 'PG_MODE', 'PG_HOST', 'PG_PORT', 'PG_DATABASE', 'PG_SCHEMA']) delete childEnv[name];
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [require.resolve('node-red/red.js'), '--settings', path.join(projectRoot, 'dist', 'settings.js')], {
    env: childEnv, stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGINT');
    await exited;
    fs.rmSync(userDir, { recursive: true, force: true });
  };
  try {
    await waitFor(() => output.includes('Started flows') || child.exitCode !== null, 60_000, 'Node-RED to start its flows');
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${output}`, { cause: err });
  }
  assert.equal(child.exitCode, null, `Node-RED exited:\n${output}`);
  return { baseUrl: `http://127.0.0.1:${port}`, userDir, output: () => output, stop };
}

/**
 * A socket.io client's connection to the dashboard over HTTP long-polling: the engine.io
 * handshake, then the connect packet; answers the server's reply (40… accepted, 44… refused).
 */
async function socketConnect(baseUrl: string, authorization: string | undefined, dashboardPath = '/dashboard'): Promise<string> {
  const url = `${baseUrl}${dashboardPath}/socket.io/?EIO=4&transport=polling`;
  const headers: Record<string, string> = authorization ? { authorization } : {};
  const open = await (await fetch(url, { headers })).text();
  const { sid } = JSON.parse(open.slice(1)) as { sid: string };
  await fetch(`${url}&sid=${sid}`, { method: 'POST', headers: { ...headers, 'content-type': 'text/plain' }, body: '40' });
  return (await fetch(`${url}&sid=${sid}`, { headers })).text();
}

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('first start without a password hash', () => {
  let red: NodeRedProcess;
  before(async () => {
    red = await startNodeRed({ NODE_RED_ADMIN_USER: USER, NODE_RED_ADMIN_PASSWORD_HASH: '' });
  });
  after(async () => red?.stop());

  it('seeds the shipped flows and protects the editor and the dashboard with a generated password', async () => {
    const flows = JSON.parse(fs.readFileSync(path.join(red.userDir, 'flows.json'), 'utf8')) as FlowNode[];
    const tabs = flows.filter((n) => n.type === 'tab').map((n) => n.label);
    assert.deepEqual(tabs.sort(), ['Dashboard', 'Model training', 'Plant monitoring']);
    assert.equal(flows.filter((n) => n.id === 'pdm-db').length, 1, 'the shared database appears once');

    const passwordFile = path.join(red.userDir, 'initial-admin-password.txt');
    assert.match(red.output(), /initial-admin-password\.txt/, 'the start tells where the password is');
    const password = fs.readFileSync(passwordFile, 'utf8').trim();
    assert.ok(password.length >= 12);
    assert.doesNotMatch(red.output(), new RegExp(password), 'the password itself is not logged');

    assert.equal((await fetch(`${red.baseUrl}/flows`)).status, 401, 'the editor API needs a login');
    assert.equal((await fetch(`${red.baseUrl}/dashboard`)).status, 401, 'the dashboard needs a login');
    assert.equal((await fetch(`${red.baseUrl}/dashboard`, { headers: { authorization: basic(USER, 'wrong') } })).status, 401);
    assert.equal((await fetch(`${red.baseUrl}/dashboard`, { headers: { authorization: basic(USER, password) } })).status, 200);
    const token = await fetch(`${red.baseUrl}/auth/token`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-editor', grant_type: 'password', scope: '*', username: USER, password }),
    });
    assert.equal(token.status, 200, 'the generated password logs in to the editor');
  });
});

describe('the dashboard in a browser', { skip: chromiumMissing }, () => {
  let red: NodeRedProcess;
  let context: BrowserContext;
  let page: Page;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-chromium-'));

  before(async () => {
    // The shipped flows with the bearing failing sooner, so the test waits about a minute for its alert.
    const flows = testFlows().map((n) => (n.id === 'pm-sim'
      ? { ...n, scenarios: [{ asset: FAILING_ASSET, fault: 'bearing-wear', onsetHours: '12', failureHours: '72', sensor: '' }] }
      : n));
    red = await startNodeRed({ NODE_RED_ADMIN_USER: USER, NODE_RED_ADMIN_PASSWORD_HASH: bcrypt.hashSync(PASSWORD, 8) }, flows);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS,
      viewport: { width: 1200, height: 760 }, httpCredentials: { username: USER, password: PASSWORD },
    });
    page = context.pages()[0] ?? (await context.newPage());
    fs.mkdirSync(screenshots, { recursive: true });
  });

  after(async () => {
    await context?.close();
    await red?.stop();
    fs.rmSync(profile, { recursive: true, force: true });
  });

  it('logs in to the editor', async () => {
    // The editor is the heaviest page; a busy machine (or the embedded database starting) slows its first load.
    await page.goto(`${red.baseUrl}/`, { waitUntil: 'domcontentloaded', timeout: 120_000 });
    await page.waitForSelector('#node-dialog-login-username', { timeout: 120_000 });
    await page.fill('#node-dialog-login-username', USER);
    await page.fill('#node-dialog-login-password', PASSWORD);
    await page.click('#node-dialog-login-submit');
    await page.waitForSelector('#red-ui-workspace', { state: 'visible', timeout: 30_000 });
    await page.waitForSelector('.red-ui-tab:has-text("Dashboard")', { timeout: 30_000 });
  });

  it('goes from the overview to an asset trend in at most three clicks', async () => {
    let clicks = 0;
    await page.goto(`${red.baseUrl}/dashboard`);
    await page.waitForSelector(`.pdm-card[data-asset="${FAILING_ASSET}"]`, { timeout: 60_000 });
    // The failing bearing's alert reaches its card, with the status in words beside the colour.
    await page.waitForSelector(`.pdm-card[data-asset="${FAILING_ASSET}"]:not(:has-text("0 open alerts"))`, { timeout: 150_000 });
    const cards = await page.locator('.pdm-card').count();
    assert.equal(cards, 6);
    const statuses = await page.locator('.pdm-card-status').allTextContents();
    assert.ok(statuses.every((s) => ['Healthy', 'Needs attention', 'Critical', 'No health data yet'].includes(s)), statuses.join());
    await page.screenshot({ path: path.join(screenshots, 'overview.png') });

    await page.click(`.pdm-card[data-asset="${FAILING_ASSET}"]`);
    clicks++;
    await page.waitForURL(/\/dashboard\/asset\?asset=P-102/);
    await page.waitForSelector('figure[data-sensor="vibration_rms"] path.pdm-line', { timeout: 30_000 });
    const health = await page.textContent('[data-fact="health"]');
    assert.match(health ?? '', /^\d+$/, 'the health score is shown');

    await page.click('.pdm-range:has-text("30 d")');
    clicks++;
    await page.waitForSelector('.pdm-range[aria-pressed="true"]:has-text("30 d")');
    await page.waitForSelector('.pdm-trends[data-range="30d"]', { timeout: 30_000 });
    const line = await page.getAttribute('figure[data-sensor="vibration_rms"] path.pdm-line', 'd');
    assert.match(line ?? '', /M[\d.]+,[\d.]+ L/, 'the 30-day trend is drawn');
    await page.waitForSelector('figure[data-sensor="vibration_rms"] circle.pdm-anomaly', { timeout: 30_000 });
    assert.ok(clicks <= 3, `${clicks} clicks from the overview to the trend`);

    // The simulated plant has run for about two simulated days: the 24-hour view reads best.
    await page.click('.pdm-range:has-text("24 h")');
    await page.waitForSelector('.pdm-trends[data-range="24h"]', { timeout: 30_000 });
    await page.screenshot({ path: path.join(screenshots, 'asset.png'), fullPage: true });
  });

  it('acknowledges an alert that the plant raised', async () => {
    await page.goto(`${red.baseUrl}/dashboard/alerts`);
    const first = page.locator('tr[data-alert]', { hasText: FAILING_ASSET }).first();
    await first.waitFor({ timeout: 30_000 });
    // Acknowledged alerts sort after firing ones: follow this alert by its id.
    const row = page.locator(`tr[data-alert="${await first.getAttribute('data-alert')}"]`);
    await row.locator('button.pdm-ack').click();
    await row.locator('.pdm-state:has-text("acknowledged by")').waitFor({ timeout: 15_000 });
    assert.equal(await row.locator('button.pdm-ack').isDisabled(), true, 'an acknowledged alert cannot be acknowledged again');
    await page.screenshot({ path: path.join(screenshots, 'alerts.png') });
  });

  it('lists the models that the training flow registered, with their status and metrics', async () => {
    await page.goto(`${red.baseUrl}/dashboard/models`);
    // The training flow looks for assets with enough history a minute after the start and then every two minutes.
    const live = page.locator('tr.pdm-model-row.pdm-role-live', { hasText: FAILING_ASSET });
    await live.waitFor({ timeout: 240_000 });
    assert.match((await live.textContent()) ?? '', /v\d+.*live.*pca.*alarms on/s);
    // One live model per asset of the simulated plant.
    await page.waitForFunction(() => document.querySelectorAll('tr.pdm-model-row.pdm-role-live').length === 6, undefined, { timeout: 60_000 });
    await page.screenshot({ path: path.join(screenshots, 'models.png') });
  });

  it('shows the classic dashboard beside Dashboard 2.0', async () => {
    assert.equal((await fetch(`${red.baseUrl}/ui/`)).status, 401, 'the classic dashboard needs a login too');
    await page.goto(`${red.baseUrl}/ui/`, { timeout: 60_000 });
    await page.waitForSelector('.pdm-classic-card', { timeout: 60_000 }).catch(async (err: Error) => {
      throw new Error(`${err.message}\npage text: ${await page.evaluate(() => document.body.innerText)}`, { cause: err });
    });
    await page.screenshot({ path: path.join(screenshots, 'classic-overview.png') });
    const asset = await page.locator('.pdm-classic-card b').first().textContent();
    await page.locator('.pdm-classic-card').first().click();
    await page.waitForSelector(`text=${asset}:`, { timeout: 30_000 });
  });

  it('lets only logged-in clients connect to either dashboard\'s socket', async () => {
    for (const dashboardPath of ['/dashboard', '/ui']) {
      assert.match(await socketConnect(red.baseUrl, undefined, dashboardPath), /^44.*unauthorized/);
      assert.match(await socketConnect(red.baseUrl, basic(USER, 'wrong'), dashboardPath), /^44.*unauthorized/);
      assert.match(await socketConnect(red.baseUrl, basic(USER, PASSWORD), dashboardPath), /^40\{"sid"/);
    }
  });
});
