#!/usr/bin/env node
// Copies the screenshots the README shows from the last end-to-end run (test/e2e/screenshots/, gitignored)
// into images/screenshots/ (committed, shipped in the VSIX). They are taken by the suite inside the real
// VS Code (code-server), so the README shows what the extension draws, not a mock-up:
//
//   npm run test:e2e && npm run screenshots
//
// test/readme.test.ts checks that every image the README names exists and is shipped.
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FROM = resolve(process.env.IRQ_E2E_SHOTS ?? join(REPO, 'test', 'e2e', 'screenshots'));
const TO = join(REPO, 'images', 'screenshots');
// The README's pictures, in the order it shows them.
const SHOWN = ['problems-misconfigured', 'hover-misconfigured', 'inlay-hints-q35', 'quick-fix-misconfigured', 'debug-paused-q35'];

mkdirSync(TO, { recursive: true });
const missing = SHOWN.filter(n => !existsSync(join(FROM, `${n}.png`)));
if (missing.length) {
    console.error(`missing in ${FROM}: ${missing.join(', ')} — run \`npm run test:e2e\` first`);
    process.exit(2);
}
for (const n of SHOWN) {
    copyFileSync(join(FROM, `${n}.png`), join(TO, `${n}.png`));
    console.log(`images/screenshots/${n}.png  ${Math.round(statSync(join(TO, `${n}.png`)).size / 1024)} KB`);
}
