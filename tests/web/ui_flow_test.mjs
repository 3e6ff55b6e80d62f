#!/usr/bin/env node
// Browser test of the whole UI flow against the real teamvl binary, in
// Debian's headless Chromium driven by playwright-core (no browser download):
// setup -> login -> new chat -> upload an image -> ask -> the answer streams
// in -> a second member's task appears in the team view -> the admin sets
// that member's quota to 1 -> the member's second request shows the quota
// message. Screenshots of every page go to test-artifacts/web/.
//
// usage: node ui_flow_test.mjs --binary PATH/teamvl [--web-dir DIR] [--artifacts DIR]
// Exit 0 pass, 1 fail, 77 skipped (no chromium or no web/node_modules).
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { browserTestSetup, check, openBrowser as launch, runBrowserTest } from './browser.mjs';
import { makePng } from './png.mjs';
import { startServer } from './server.mjs';

const { binary, webDir, artifacts, playwright, step } = browserTestSetup();
const openBrowser = (name) => launch(playwright, name);

const PASSWORD = 'admin-password-1';
const BOB = 'bob@team.test';
const BOB_PASSWORD = 'bob-password-22';


async function shot(page, name) {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
}

async function signIn(page, username, password) {
  await page.locator('[data-test=login-form] input[name=username]').fill(username);
  await page.locator('[data-test=login-form] input[name=password]').fill(password);
  await page.locator('[data-test=login-form] button[type=submit]').click();
}

async function nav(page, id) {
  await page.locator(`[data-nav=${id}]`).click();
}

// Sends `text` (with optional image) and returns the live answer locator.
async function ask(page, text) {
  await page.locator('[data-test=prompt]').fill(text);
  await page.locator('[data-test=send]').click();
}

// Greedy decoding makes the demo model's answers deterministic: it then
// writes until max_tokens (about 1000 tokens/s here), so a task's length is
// under the test's control.
async function setParams(page, values) {
  if (!(await page.locator('[data-test=params-panel]').isVisible())) await page.locator('[data-test=toggle-params]').click();
  for (const [name, v] of Object.entries(values)) {
    const input = page.locator(`[data-test=params-panel] input[name=${name}]`);
    await input.fill(String(v));
    await input.press('Tab');
  }
}

async function run() {
  mkdirSync(artifacts, { recursive: true });
  // Screenshots of an earlier run would mix with this one's.
  for (const f of readdirSync(artifacts)) if (/^[0-9]+-.*\.png$/.test(f) || f === 'server.log') rmSync(path.join(artifacts, f));
  const dataDir = mkdtempSync(path.join(tmpdir(), 'teamvl-web-data-'));
  let failed = false;
  // A failed run keeps its data directory (SQLite file, uploads) for a look.
  const cleanup = [() => (failed ? console.error(`data directory kept: ${dataDir}`) : rmSync(dataDir, { recursive: true, force: true }))];
  let server;
  let admin;
  let bob;
  try {
    // One member served at a time, so a second member's task waits in the queue.
    server = await startServer({ binary, webDir, dataDir, extraArgs: ['--max-users', '1'] });
    step(`server at ${server.url}`);
    admin = await openBrowser('admin');
    cleanup.push(() => rmSync(admin.dir, { recursive: true, force: true }));
    const a = admin.page;

    // Setup with the one-time token, then sign out and sign in again.
    await a.goto(`${server.url}/`);
    await a.locator('[data-test=setup-form]').waitFor();
    await a.locator('input[name=token]').fill(server.token);
    await a.locator('input[name=username]').fill('admin@team.test');
    await a.locator('input[name=display_name]').fill('Ada Admin');
    await a.locator('input[name=password]').fill(PASSWORD);
    await a.locator('input[name=confirm]').fill(PASSWORD);
    await shot(a, '01-setup');
    await a.locator('[data-test=setup-form] button[type=submit]').click();
    await a.locator('[data-nav=workspace]').waitFor();
    step('setup done');
    await a.locator('button[aria-label="Sign out"]').click();
    await a.locator('[data-test=login-form]').waitFor();
    await signIn(a, 'admin@team.test', 'wrong-password');
    await a.getByText('Wrong username or password.').waitFor();
    await shot(a, '02-login-error');
    await signIn(a, 'admin@team.test', PASSWORD);
    await a.locator('[data-test=new-chat]').waitFor();
    step('signed in');

    // New chat with an uploaded image; the answer streams in.
    await a.locator('[data-test=new-chat]').click();
    await setParams(a, { temperature: 0, max_tokens: 1000 });
    await a.locator('[data-test=file-input]').setInputFiles({ name: 'square.png', mimeType: 'image/png', buffer: makePng() });
    await a.locator('[data-test=attachments] li[data-state=ready]').waitFor();
    // Drag-and-drop: a file that is no image is refused, and the reason
    // shows on that attachment.
    await a.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['just some text'], 'notes.png', { type: 'image/png' }));
      const chat = document.querySelector('[data-test=chat]');
      chat.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      chat.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    const bad = a.locator('[data-test=attachments] li[data-state=error]');
    await bad.waitFor();
    const badText = await bad.innerText();
    check(/notes\.png/.test(badText) && /unsupported|not|cannot|invalid/i.test(badText), `unexpected upload error: ${badText}`);
    await shot(a, '03-workspace-attachments');
    await bad.getByRole('button').click();
    check((await a.locator('[data-test=attachments] li').count()) === 1, 'the refused attachment was not removed');
    // Record every change of the live answer in the page: a streamed answer
    // shows partial text while the task is running, before the final text.
    await a.evaluate(() => {
      const seen = [];
      window.__answerLog = seen;
      new MutationObserver(() => {
        const el = document.querySelector('[data-test=answer][data-phase]');
        if (!el) return;
        const text = el.querySelector('.markdown')?.textContent ?? '';
        const last = seen[seen.length - 1];
        const phase = el.getAttribute('data-phase');
        if (!last || last.phase !== phase || last.len !== text.length) seen.push({ phase, len: text.length });
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await ask(a, 'What is in this picture? Answer with a table.');
    await a.locator('[data-test=answer][data-phase]:not([data-phase=submitting]):not([data-phase=queued]):not([data-phase=running])')
      .or(a.locator('[data-test=answer]:not([data-phase])')).first().waitFor({ timeout: 60000 });
    const log = await a.evaluate(() => window.__answerLog);
    const ended = log.filter((x) => !['submitting', 'queued', 'running'].includes(x.phase));
    check(!ended.some((x) => x.phase !== 'done'), `the first answer ended as ${JSON.stringify(ended)}`);
    const partial = log.filter((x) => x.phase === 'running' && x.len > 0).map((x) => x.len);
    const final = a.locator('.msg.assistant[data-test=answer]').last();
    await final.waitFor();
    const finalText = (await final.innerText()).trim();
    check(finalText.length > 0, 'the answer is empty');
    check(partial.length >= 2, `the answer did not stream in (text lengths while running: ${JSON.stringify(partial)})`);
    await a.locator('.msg.user img.thumb').first().waitFor();
    check((await a.locator('[data-test=session-list] li a').count()) === 1, 'the new chat is not in the session list');
    step(`answer streamed in ${partial.length} steps (${finalText.length} chars)`);
    await shot(a, '04-workspace-answer');

    // The admin adds a member in the UI and reads the temporary password.
    await nav(a, 'admin');
    await a.locator('[data-test=add-member] input[name=new_username]').fill(BOB);
    await a.locator('[data-test=add-member] button[type=submit]').click();
    const temp = (await a.locator('[data-test=temp-password-value]').innerText()).trim();
    check(temp.length >= 8, 'no temporary password shown');
    await shot(a, '05-admin-members');
    step('member added');

    // The member signs in, must change the password, then asks a long question.
    bob = await openBrowser('bob');
    cleanup.push(() => rmSync(bob.dir, { recursive: true, force: true }));
    const b = bob.page;
    await b.goto(`${server.url}/`);
    await signIn(b, BOB, temp);
    await b.locator('[data-test=password-form]').waitFor();
    await shot(b, '06-forced-password-change');
    await b.locator('input[name=current_password]').fill(temp);
    await b.locator('input[name=new_password]').fill(BOB_PASSWORD);
    await b.locator('input[name=confirm_password]').fill(BOB_PASSWORD);
    await b.locator('[data-test=password-form] button[type=submit]').click();
    await b.locator('[data-test=new-chat]').waitFor();
    step('member changed the temporary password');

    // The admin starts a long answer (greedy, to the demo model's context
    // limit: a few seconds); the member's question then waits in the queue
    // (MAX_USERS=1). The member sees position and ETA; the team view shows
    // both tasks. The checks run side by side while the queue lasts.
    await setParams(b, { temperature: 0, max_tokens: 64 });
    await nav(a, 'workspace');
    await a.locator('[data-test=new-chat]').click();
    await setParams(a, { temperature: 0, max_tokens: 8192 });
    await ask(a, 'Write a long story about a shared GPU.');
    await a.locator('[data-test=answer][data-phase=running]').waitFor({ timeout: 30000 });
    await nav(a, 'team');
    await ask(b, 'Write a long story about a shared GPU.');
    const queued = b.locator('[data-test=queue-status]');
    await Promise.all([
      queued.getByText(/Queued: position 1/).waitFor({ timeout: 30000 }).then(async () => {
        step(`the member's task waits: ${(await queued.innerText()).replace(/\s+/g, ' ')}`);
        await shot(b, '07-member-queued');
      }),
      a.locator(`[data-test=team-queued] [data-member="${BOB}"]`).waitFor({ timeout: 30000 }).then(async () => {
        step("the member's task appears in the team view (queued behind the admin's)");
        await shot(a, '08-team');
      }),
    ]);
    // Once the admin's answer is done the member's runs and finishes: a
    // finished turn becomes a stored message (no live marker left).
    await b.locator('[data-test=send]').waitFor({ timeout: 60000 });
    check((await b.locator('[data-test=answer][data-phase]').count()) === 0, "the member's task did not finish normally");
    step("the member's task ran after the admin's");

    // The admin limits the member to one inference a day.
    await nav(a, 'admin');
    await a.locator(`tr[data-user="${BOB}"] [data-test=edit-quota]`).click();
    await a.locator('[data-test=quota-editor] input[name=inferences_per_day]').fill('1');
    await a.locator('[data-test=save-quota]').click();
    await a.locator('[data-test=quota-saved]').waitFor();
    await shot(a, '09-admin-quota');
    for (const tab of ['keys', 'settings', 'audit']) {
      await a.locator(`[data-tab=${tab}]`).click();
      await a.locator('.card h2').first().waitFor();
      await a.waitForTimeout(150);
      if (tab === 'settings') {
        // Model settings: a team default for every task (same value as the engine's, so the rest of the flow is unchanged).
        await a.locator('[data-test=model-defaults] input[name=max_image_side]').fill('768');
        await a.locator('[data-test=model-defaults] button[type=submit]').click();
        await a.locator('[data-test=model-defaults] .ok-note').waitFor();
      }
      await shot(a, `09-admin-${tab}`);
    }
    check((await a.locator('[data-test=audit] tr').count()) > 3, 'the audit log is empty');
    step('quota set to 1');

    // The member's next request is refused with the quota, the numbers and the reset time.
    await b.locator('[data-test=new-chat]').click();
    await ask(b, 'One more question?');
    const err = b.locator('[data-test=chat-error]');
    await err.waitFor();
    const msg = await err.innerText();
    check(/Quota reached/.test(msg) && /1 of 1/.test(msg) && /resets/.test(msg), `unexpected quota message: ${msg}`);
    step(`quota message shown: ${msg}`);
    await shot(b, '10-member-quota-message');

    // The stop button ends a running answer and the chat says so.
    await nav(a, 'workspace');
    await a.locator('[data-test=new-chat]').click();
    await ask(a, 'Write a long story about a shared GPU.');
    await a.locator('[data-test=answer][data-phase=running]').waitFor({ timeout: 30000 });
    // A reload in the middle picks the running answer up again.
    await a.reload();
    await a.locator('[data-test=answer][data-phase=running]').waitFor({ timeout: 30000 });
    await a.locator('[data-test=stop]').click();
    await a.locator('[data-test=answer][data-phase=cancelled]').waitFor({ timeout: 30000 });
    check((await a.locator('.end-note').innerText()).includes('Stopped'), 'the stopped answer is not marked');
    await shot(a, '11-workspace-stopped');
    step('a reload resumes a running answer; stop ends it');

    // The remaining pages render for the admin, and the history route answers.
    await nav(a, 'monitor');
    await a.locator('[data-test=stat-usage]').waitFor();
    await a.locator('[data-range=hour]').click();
    const history = await a.evaluate(async () => (await fetch('/api/v1/metrics/history?range=hour')).json());
    check(Array.isArray(history.points) && history.points.length >= 1, `metrics history has no points: ${JSON.stringify(history)}`);
    await a.waitForTimeout(300);
    await shot(a, '12-monitor');
    await nav(a, 'account');
    await a.locator('[data-test=create-key] input[name=key_name]').fill('ci script');
    await a.locator('[data-test=create-key] button[type=submit]').click();
    const secret = await a.locator('[data-test=key-secret] code').innerText();
    check(secret.startsWith('tvl_'), `unexpected key secret: ${secret}`);
    await shot(a, '13-account');
    await nav(a, 'pipelines');
    await a.locator('[data-test=pipelines-empty]').waitFor();
    await shot(a, '14-pipelines');
    // Chinese UI.
    await a.locator('[data-test=lang]').selectOption('zh-CN');
    await a.getByText('工作区').first().waitFor();
    await nav(a, 'workspace');
    await shot(a, '15-workspace-zh');
    // Narrow screen: the navigation becomes a top bar and the columns stack.
    await a.setViewportSize({ width: 414, height: 860 });
    await nav(a, 'team');
    await shot(a, '16-team-narrow-zh');
    await a.locator('[data-test=lang]').selectOption('en');
    await nav(a, 'workspace');
    await a.locator('[data-test=session-list] li a').first().click();
    await shot(a, '17-workspace-narrow');
    step('monitor, account, pipelines and zh-CN pages rendered');

    const problems = [...admin.problems, ...bob.problems];
    check(problems.length === 0, `browser errors:\n${problems.join('\n')}`);
  } catch (e) {
    failed = true;
    for (const [who, s] of [['admin', admin], ['bob', bob]])
      if (s) await s.page.screenshot({ path: path.join(artifacts, `failure-${who}.png`), fullPage: true }).catch(() => {});
    if (server) console.error(`--- server log (tail) ---\n${server.log().slice(-4000)}`);
    throw e;
  } finally {
    await admin?.ctx.close().catch(() => {});
    await bob?.ctx.close().catch(() => {});
    await server?.stop();
    if (server) writeFileSync(path.join(artifacts, 'server.log'), server.log());
    for (const fn of cleanup) fn();
  }
}

runBrowserTest(run, { what: 'the browser flow', seconds: 150, step, artifacts });
