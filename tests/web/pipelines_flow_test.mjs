#!/usr/bin/env node
// Browser test of the Pipelines page against the real teamvl binary (demo
// model), in Debian's headless Chromium driven by playwright-core: the admin
// defines a pipeline in the form (describe with {{file}} -> a step on
// {{input}} -> a review owned by a member), edits it as YAML (a readable
// error first, then a second version), starts a run with a 2-page PDF and a
// PNG through the file input, follows the items live to "awaiting review",
// pauses and resumes; the member opens the review (source images beside the
// result), edits the text and approves one item and approves the other as
// is; the run finishes and its results and combined document show the
// edited text. Screenshots: test-artifacts/web/pipelines-*.png.
//
// usage: node pipelines_flow_test.mjs --binary PATH/teamvl [--web-dir DIR] [--artifacts DIR]
// Exit 0 pass, 1 fail, 77 skipped (no chromium or no web/node_modules).
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { browserTestSetup, check, openBrowser as launch, runBrowserTest } from './browser.mjs';
import { makePdf } from './pdf.mjs';
import { makePng } from './png.mjs';
import { startServer } from './server.mjs';

const { binary, webDir, artifacts, playwright, step } = browserTestSetup();
const openBrowser = (name) => launch(playwright, name, { height: 900, acceptDialogs: true });

const ADMIN = 'admin@team.test';
const ADMIN_PASSWORD = 'admin-password-1';
const CAROL = 'carol@team.test';
const CAROL_PASSWORD = 'carol-password-22';
const EDITED = 'EDITED-IN-BROWSER | model | length | mm |';


// JSON API calls from the test itself (set-up only): cookie + CSRF header.
async function call(base, method, url, body, auth) {
  const headers = { 'Content-Type': 'application/json' };
  if (auth) Object.assign(headers, { Cookie: auth.cookie, 'X-CSRF-Token': auth.csrf });
  const res = await fetch(base + url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: HTTP ${res.status} ${text}`);
  return { json: text ? JSON.parse(text) : null, cookie: res.headers.get('set-cookie')?.split(';')[0] };
}

async function apiLogin(base, username, password) {
  const r = await call(base, 'POST', '/api/v1/auth/login', { username, password });
  return { cookie: r.cookie, csrf: r.json.csrf_token };
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(artifacts, `pipelines-${name}.png`), fullPage: true });
}

async function signIn(page, base, username, password) {
  await page.goto(`${base}/`);
  await page.locator('[data-test=login-form] input[name=username]').fill(username);
  await page.locator('[data-test=login-form] input[name=password]').fill(password);
  await page.locator('[data-test=login-form] button[type=submit]').click();
  await page.locator('[data-nav=pipelines]').waitFor();
}

async function fillStep(page, index, values) {
  const card = page.locator(`[data-test=step][data-index="${index}"]`);
  for (const [name, v] of Object.entries(values)) {
    const field = card.locator(`[name=${name}]`);
    if ((await field.evaluate((el) => el.tagName)) === 'SELECT') await field.selectOption(v);
    else await field.fill(v);
  }
}

async function run() {
  mkdirSync(artifacts, { recursive: true });
  // Only this test's screenshots of an earlier run: the other browser test shares the folder.
  for (const f of readdirSync(artifacts)) if (/^pipelines-.*\.png$/.test(f) || f === 'pipelines-server.log') rmSync(path.join(artifacts, f));
  const dataDir = mkdtempSync(path.join(tmpdir(), 'teamvl-pipe-data-'));
  let failed = false;
  const cleanup = [() => (failed ? console.error(`data directory kept: ${dataDir}`) : rmSync(dataDir, { recursive: true, force: true }))];
  let server;
  let admin;
  let carol;
  try {
    // Small page images keep the demo vision encoder quick.
    server = await startServer({ binary, webDir, dataDir, extraArgs: ['--pipeline-page-side', '64'] });
    const base = server.url;
    step(`server at ${base}`);

    // Set-up through the API: the first admin, and a member with her own password.
    await call(base, 'POST', '/api/v1/setup', { token: server.token, username: ADMIN, password: ADMIN_PASSWORD });
    const adminApi = await apiLogin(base, ADMIN, ADMIN_PASSWORD);
    const created = await call(base, 'POST', '/api/v1/admin/users', { username: CAROL }, adminApi);
    const carolTemp = await apiLogin(base, CAROL, created.json.temporary_password);
    await call(base, 'POST', '/api/v1/auth/password', { current_password: created.json.temporary_password, new_password: CAROL_PASSWORD }, carolTemp);
    step('admin and member set up');

    // The admin defines the pipeline in the form.
    admin = await openBrowser('admin');
    cleanup.push(() => rmSync(admin.dir, { recursive: true, force: true }));
    const a = admin.page;
    await signIn(a, base, ADMIN, ADMIN_PASSWORD);
    await a.locator('[data-nav=pipelines]').click();
    await a.locator('[data-test=pipelines-empty]').waitFor();
    await shot(a, '01-empty');
    await a.locator('[data-test=new-pipeline]').click();
    await a.locator('[data-test=pipeline-form]').waitFor();
    await a.locator('[name=pipeline_name]').fill('manuals');
    await a.locator('[name=description]').fill('Product manuals to structured documents');
    await a.locator('[data-test=pipeline-form] select[name=output_format]').selectOption('markdown');
    // Sampled, short answers: the random-weight demo model's greedy answer to
    // an image is often empty (which the server retries).
    await a.locator('[data-test=step][data-index="0"] [name=owner] option', { hasText: ADMIN }).waitFor({ state: 'attached' });
    await fillStep(a, 0, { step_name: 'describe', owner: ADMIN, prompt: 'Describe the key pages {{file}} of {{item}}.', max_tokens: '6', temperature: '1', step_auto_retry: '4' });
    await a.locator('[data-test=add-step]').click();
    await fillStep(a, 1, { step_name: 'tables', owner: ADMIN, prompt: 'Turn the tables into Markdown: ', max_tokens: '6', temperature: '1', step_auto_retry: '4' });
    // The placeholder buttons insert at the cursor.
    await a.locator('[data-test=step][data-index="1"] [name=prompt]').focus();
    await a.locator('[data-test=step][data-index="1"] [name=prompt]').press('End');
    await a.locator('[data-test=step][data-index="1"] button', { hasText: '{{input}}' }).click();
    check((await a.locator('[data-test=step][data-index="1"] [name=prompt]').inputValue()) === 'Turn the tables into Markdown: {{input}}', 'the {{input}} button did not insert');
    await a.locator('[data-test=add-review]').click();
    await fillStep(a, 2, { step_name: 'check', owner: CAROL });
    await shot(a, '02-editor-form');
    await a.locator('[data-test=save-pipeline]').click();
    await a.locator('[data-test=pipeline-detail][data-pipeline=manuals]').waitFor();
    check((await a.locator('[data-test=step-chain] li').count()) === 3, 'the saved pipeline does not show 3 steps');
    step('pipeline defined in the form');

    // Edit as YAML: a wrong owner is refused with a message naming the field;
    // the corrected text is saved as version 2.
    await a.locator('[data-test=edit-pipeline]').click();
    await a.locator('[data-test=mode-yaml]').click();
    const yamlBox = a.locator('[data-test=pipeline-yaml]');
    const yaml = await yamlBox.inputValue();
    check(yaml.includes('{{input}}') && yaml.includes(`owner: ${CAROL}`) && yaml.includes('type: review'), `unexpected YAML:\n${yaml}`);
    await yamlBox.fill(yaml.replace(`owner: ${CAROL}`, 'owner: nobody'));
    await a.locator('[data-test=save-pipeline]').click();
    const yamlError = (await a.locator('[data-test=pipeline-error]').innerText()).trim();
    check(/steps\[2\]\.owner/.test(yamlError) && /nobody/.test(yamlError), `unexpected error for a wrong owner: ${yamlError}`);
    await shot(a, '03-editor-yaml-error');
    await yamlBox.fill(yaml.replace('description: Product manuals to structured documents', 'description: "Manuals, version 2"'));
    await a.locator('[data-test=save-pipeline]').click();
    await a.locator('[data-test=pipeline-detail]').getByText('Manuals, version 2').waitFor();
    await a.locator('[data-test=show-versions]').click();
    await a.locator('[data-test=versions] li').nth(1).waitFor();
    check((await a.locator('[data-test=versions] li').count()) === 2, 'the pipeline does not have 2 versions');
    step('edited as YAML: a readable error, then version 2');

    // Start a run with a 2-page PDF and a PNG through the file input.
    await a.locator('[data-test=run-file-input]').setInputFiles([
      { name: 'manual-a.pdf', mimeType: 'application/pdf', buffer: makePdf([200, 260]) },
      { name: 'drawing.png', mimeType: 'image/png', buffer: makePng(96, 64) },
    ]);
    await a.locator('[data-test=run-inputs] li[data-state=ready]').nth(1).waitFor();
    // Dropped on the zone: a file that is no PDF is refused, the reason beside it.
    await a.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['not a pdf at all'], 'notes.pdf', { type: 'application/pdf' }));
      const zone = document.querySelector('[data-test=run-drop]');
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    const refused = a.locator('[data-test=run-inputs] li[data-state=error]');
    await refused.waitFor();
    const refusedText = await refused.innerText();
    check(/notes\.pdf/.test(refusedText) && refusedText.split('\n').length >= 2, `unexpected upload error: ${refusedText}`);
    step(`a dropped non-PDF is refused: ${refusedText.replace(/\s+/g, ' ')}`);
    await shot(a, '04-start-run');
    await refused.getByRole('button').click();
    check((await a.locator('[data-test=run-inputs] li').count()) === 2, 'the refused file was not removed');
    check((await a.locator('[data-test=run-inputs]').innerText()).includes('2 pages'), 'the PDF is not shown with its 2 pages');
    await a.locator('[data-test=start-run-button]').click();
    await a.locator('[data-test=run-view]').waitFor();
    step('run started');

    // Both items reach the review; the run's event stream is live meanwhile.
    await a.locator('[data-test=run-item][data-state=awaiting_review]').nth(1).waitFor({ timeout: 60000 });
    await a.locator('[data-test=run-live].on').waitFor({ timeout: 10000 });
    check((await a.locator('[data-test=run-item]').count()) === 2, 'the run does not have 2 items');
    for (const name of ['manual-a.pdf', 'drawing.png']) {
      const row = a.locator(`[data-test=run-item][data-item="${name}"]`);
      check((await row.locator('td[data-step=describe]').getAttribute('data-state')) === 'done', `${name}: describe is not done`);
      check((await row.locator('td[data-step=tables]').getAttribute('data-state')) === 'done', `${name}: tables is not done`);
      check((await row.locator('td[data-step=check]').getAttribute('data-state')) === 'awaiting_review', `${name}: check is not awaiting review`);
    }
    await a.locator('[data-test=run-item][data-item="manual-a.pdf"] [data-test=open-item]').click();
    const outputs = a.locator('[data-test=item-detail] [data-test=step-output]');
    check((await outputs.count()) === 2, 'the item does not show the outputs of its 2 model steps');
    await shot(a, '05-run-awaiting-review');
    step('both items await review');

    // Pause and resume.
    await a.locator('[data-test=run-pause]').click();
    await a.locator('[data-test=run-view][data-state=paused]').waitFor();
    await a.locator('[data-test=run-resume]').click();
    await a.locator('[data-test=run-view][data-state=running]').waitFor();
    step('paused and resumed');

    // The reviewer sees her pending reviews, the source beside the result.
    carol = await openBrowser('carol');
    cleanup.push(() => rmSync(carol.dir, { recursive: true, force: true }));
    const c = carol.page;
    await signIn(c, base, CAROL, CAROL_PASSWORD);
    await c.locator('[data-nav=pipelines]').click();
    await c.locator('[data-test=my-reviews] tr').nth(1).waitFor();
    await shot(c, '06-my-reviews');
    await c.locator('[data-test=my-reviews] tr[data-item="manual-a.pdf"] [data-test=open-review]').click();
    await c.locator('[data-test=review-view][data-item="manual-a.pdf"]').waitFor();
    await c.locator('[data-test=source-image]').nth(1).waitFor();
    check((await c.locator('[data-test=source-image]').count()) === 2, 'the review does not show both PDF pages');
    const loaded = await c.locator('[data-test=source-image]').evaluateAll((imgs) => imgs.every((i) => i.complete && i.naturalWidth > 0));
    check(loaded, 'a source page image did not load');
    await c.locator('[data-test=review-output]').waitFor();
    await shot(c, '07-review');
    await c.locator('[data-test=review-edit]').click();
    await c.locator('[data-test=review-text]').fill(EDITED);
    await c.locator('[data-test=review-edited]').waitFor();
    await shot(c, '08-review-edited');
    await c.locator('[data-test=review-approve]').click();
    await c.locator('[data-test=run-view]').waitFor();
    step('the member edited and approved the PDF item');

    // The image item: its one source image; sent back with a comment, the
    // step before runs again (live in the run view), then approved as it is.
    const drawing = c.locator('[data-test=run-item][data-item="drawing.png"]');
    await drawing.locator('[data-test=open-review]').click();
    await c.locator('[data-test=review-view][data-item="drawing.png"]').waitFor();
    await c.locator('[data-test=source-image]').first().waitFor();
    check((await c.locator('[data-test=source-image]').count()) === 1, 'the image item does not show its image');
    await c.locator('[data-test=review-comment]').fill('Check the units, please.');
    await c.locator('[data-test=review-send-back]').click();
    await c.locator('[data-test=run-view]').waitFor();
    await drawing.locator('td[data-step=tables]', { hasText: '×2' }).waitFor({ timeout: 30000 });
    await drawing.locator('[data-test=open-review]').waitFor({ timeout: 30000 });
    await drawing.locator('[data-test=open-item]').click();
    const prompts = await c.locator('[data-test=item-detail] [data-step=tables] details pre').textContent();
    check(prompts.includes("Reviewer's comment: Check the units, please."), `the comment did not reach the step: ${prompts}`);
    await drawing.locator('[data-test=open-item]').click();
    step('the member sent the image item back; it ran again with the comment');
    await drawing.locator('[data-test=open-review]').click();
    await c.locator('[data-test=review-view][data-item="drawing.png"]').waitFor();
    await c.locator('[data-test=review-approve]').click();

    // The run finishes; the final output and the combined document hold the edit.
    await c.locator('[data-test=run-view][data-state=done]').waitFor({ timeout: 30000 });
    await a.locator('[data-test=run-view][data-state=done]').waitFor({ timeout: 30000 });
    await c.locator('[data-test=run-item][data-item="manual-a.pdf"] [data-test=open-item]').click();
    const checkOutput = c.locator('[data-test=item-detail] [data-step=check] [data-test=step-output]');
    await checkOutput.waitFor();
    check((await checkOutput.innerText()).includes('EDITED-IN-BROWSER'), `the final output does not show the edit: ${await checkOutput.innerText()}`);
    const combinedLink = c.locator('[data-test=combined-link]');
    await combinedLink.waitFor();
    const href = await combinedLink.getAttribute('href');
    const combined = await c.evaluate(async (u) => (await fetch(u)).text(), href);
    check(combined.includes(EDITED) && combined.includes('drawing.png'), `the combined document lacks the edit:\n${combined.slice(0, 800)}`);
    check((await c.locator('[data-test=shared-files] li').count()) >= 7, 'shared storage does not list every step output and the combined document');
    await shot(c, '09-run-done');
    // The admin's view followed live; the item opened before shows the edit too.
    await a.locator('[data-test=item-detail] [data-step=check] [data-test=step-output]').getByText('EDITED-IN-BROWSER').waitFor();
    await shot(a, '10-run-done-admin');
    step('run done; final output and combined document show the edit');

    // A member picks step owners from the team's directory (/api/v1/members).
    await c.locator('[data-nav=pipelines]').click();
    await c.locator('[data-test=new-pipeline]').click();
    await c.locator('[name=pipeline_name]').fill('carol-notes');
    const owner = c.locator('[data-test=step][data-index="0"] select[name=owner]');
    check((await owner.inputValue()) === CAROL, 'the first step is not owned by its author by default');
    const options = await owner.locator('option').allInnerTexts();
    check(options.includes(ADMIN) && options.includes(CAROL), `the owner list misses team members: ${options}`);
    await owner.selectOption(ADMIN);
    await shot(c, '12-member-owner-select');
    step(`a member picks owners from the team: ${options.filter((o) => o.includes('@')).join(', ')}`);

    // Chinese strings of the page.
    await a.locator('[data-test=lang]').selectOption('zh-CN');
    await a.getByText('结果').first().waitFor();
    await shot(a, '11-run-zh');
    await a.locator('[data-test=lang]').selectOption('en');

    const problems = [...admin.problems, ...carol.problems];
    check(problems.length === 0, `browser errors:\n${problems.join('\n')}`);
  } catch (e) {
    failed = true;
    for (const [who, s] of [['admin', admin], ['carol', carol]])
      if (s) await s.page.screenshot({ path: path.join(artifacts, `pipelines-failure-${who}.png`), fullPage: true }).catch(() => {});
    if (server) console.error(`--- server log (tail) ---\n${server.log().slice(-4000)}`);
    throw e;
  } finally {
    await admin?.ctx.close().catch(() => {});
    await carol?.ctx.close().catch(() => {});
    await server?.stop();
    if (server) writeFileSync(path.join(artifacts, 'pipelines-server.log'), server.log());
    for (const fn of cleanup) fn();
  }
}

runBrowserTest(run, { what: 'the pipelines flow', seconds: 110, step, artifacts });
