import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { closeSessionUpdate } from '../../src/contract/session.ts';
import { maskPhone } from '../../src/phone.ts';
import { startDevServer, type TemporalServer } from '../../src/temporal/devServer.ts';
import { test } from '../helpers/fixtures.ts';
import { phone, startSession, waitUntilBound } from '../helpers/session.ts';
import { withUiServerWorker } from '../helpers/ui.ts';

// Proof that sessions are inspectable in Temporal UI: a real session on a dev server started with its
// UI, looked at through headless Chromium (scripts/chromium.ts finds or installs it). Payloads are encrypted by the app's codec, as in
// production, so the UI shows what operators see without codec access.

import { launchChromium } from '../helpers/ui.ts';

/** The UI's base64 rendering of the codec's `binary/encrypted` payload encoding. */
const ENCRYPTED_ENCODING_BASE64 = Buffer.from('binary/encrypted').toString('base64');

let server: TemporalServer;
let browser: Browser;

// On a fresh machine the browser may be installed first (scripts/chromium.ts): minutes, not seconds.
beforeAll(async () => {
  [server, browser] = await Promise.all([startDevServer({ ui: true }), launchChromium()]);
}, 15 * 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const workflowListUrl = (query: string) =>
  `${server.uiUrl}/namespaces/${server.namespace}/workflows?query=${encodeURIComponent(query)}`;

/** The list row of one workflow, once the UI has loaded it (visibility may lag a moment). */
async function workflowRow(page: Page, query: string, workflowId: string, status: string) {
  await expect
    .poll(
      async () => {
        await page.goto(workflowListUrl(query));
        const row = page.locator('tr', { hasText: workflowId });
        await row
          .first()
          .waitFor({ timeout: 5_000 })
          .catch(() => {});
        return (await row.count()) === 1 ? ((await row.textContent()) ?? '') : '';
      },
      { timeout: 20_000, interval: 500 },
    )
    .toContain(status);
  return (await page.locator('tr', { hasText: workflowId }).textContent()) ?? '';
}

describe('Temporal UI', () => {
  test('lists the session by NppBindId with its status, and its pages never show a participant number', async ({
    npp,
  }) => {
    const page = await browser.newPage();
    try {
      await withUiServerWorker(server, npp, async (client, taskQueue) => {
        const [src, dst] = [phone(), phone()];
        const handle = await startSession(client, taskQueue, { mode: 'AXB', src, dst });
        const { bindId, virtualNum } = await waitUntilBound(handle);
        const byBindId = `NppBindId="${bindId}"`;

        const running = await workflowRow(page, byBindId, handle.workflowId, 'Running');
        expect(running).toContain('maskedCallSession');

        await handle.executeUpdate(closeSessionUpdate);
        await handle.result();
        await workflowRow(page, `${byBindId} AND NppSessionStatus="closed"`, handle.workflowId, 'Completed');

        // Every tab of the run's page: what an operator sees, and what must never be there.
        const { runId } = await handle.describe();
        const runUrl = `${server.uiUrl}/namespaces/${server.namespace}/workflows/${handle.workflowId}/${runId}`;
        const seen: Record<string, string> = {};
        for (const tab of ['history', 'search-attributes', 'memo', 'user-metadata']) {
          await page.goto(`${runUrl}/${tab}`);
          await page.getByText(handle.workflowId).first().waitFor();
          await page.waitForLoadState('networkidle');
          seen[tab] = await page.content();
        }
        for (const [tab, html] of Object.entries(seen)) {
          for (const number of [src, dst]) {
            expect(html.includes(number), `${tab} tab shows a full participant number`).toBe(false);
            // Nor the digits after the country code, in case the UI reformats the number.
            expect(html.includes(number.slice(4)), `${tab} tab shows a participant's digits`).toBe(false);
          }
        }
        expect(seen.history).toContain('Completed');
        expect(seen.history).toContain(ENCRYPTED_ENCODING_BASE64);
        expect(seen.memo).toContain(ENCRYPTED_ENCODING_BASE64);
        for (const value of ['NppBindId', bindId, 'NppVirtualNum', virtualNum, 'NppSessionStatus']) {
          expect(seen['search-attributes']).toContain(value);
        }
        // Behind the encryption, the memo holds the numbers masked: all a codec holder would see there.
        const { memo } = await handle.describe();
        expect(memo).toMatchObject({ src: maskPhone(src), dst: maskPhone(dst) });
      });
    } finally {
      await page.close();
    }
  });
});
