/**
 * The extension-host test entry: VS Code loads this module (extensionTestsPath) inside the extension host, after
 * the extension under development (the installed VSIX, unpacked) has been registered, and calls `run()`. The
 * returned promise settles when mocha is done; VS Code then ends the extension host with 0 or 1.
 *
 * The same entry serves both hosts: code-server (test/e2e/run.mjs, the default here) and @vscode/test-electron
 * (`IRQ_E2E_HOST=electron`, wherever VS Code can be downloaded).
 *
 * Results leave the extension host in two ways: every mocha event is appended as one JSON line to
 * `$IRQ_E2E_CHANNEL/events.jsonl` (the runner tails it and prints the summary; it does not depend on how a
 * given VS Code build forwards the extension host's stdout), and a one-line-per-test report goes to the
 * console for hosts that do show it.
 */
import * as fs from 'fs';
import * as path from 'path';
import Mocha = require('mocha');
import { emit } from './channel';

const { EVENT_RUN_BEGIN, EVENT_RUN_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } = Mocha.Runner.constants;

/** A mocha reporter that streams events to the runner instead of formatting them. */
class ChannelReporter extends Mocha.reporters.Base {
    constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
        super(runner, options);
        runner.once(EVENT_RUN_BEGIN, () => emit({ event: 'begin', total: runner.total }));
        runner.on(EVENT_TEST_PASS, test => {
            emit({ event: 'pass', title: test.fullTitle(), ms: test.duration ?? 0 });
            console.log(`  ✓ ${test.fullTitle()} (${test.duration ?? 0} ms)`);
        });
        runner.on(EVENT_TEST_FAIL, (test, err: Error) => {
            // Hook failures arrive here too (test is the hook); their title says which hook.
            emit({ event: 'fail', title: test.fullTitle(), error: err?.message ?? String(err), stack: err?.stack ?? '' });
            console.log(`  ✗ ${test.fullTitle()}\n${err?.stack ?? err}`);
        });
        runner.on(EVENT_TEST_PENDING, test => {
            type WithReason = { skipReason?: string };
            const reason = (test as Mocha.Test & WithReason).skipReason ?? (test.parent as (Mocha.Suite & WithReason) | undefined)?.skipReason ?? '';
            emit({ event: 'skip', title: test.fullTitle(), reason });
            console.log(`  - ${test.fullTitle()} (skipped${reason ? `: ${reason}` : ''})`);
        });
        runner.once(EVENT_RUN_END, () => {
            const s = this.stats;
            emit({ event: 'end', passes: s.passes, failures: s.failures, pending: s.pending });
            console.log(`${s.passes} passed, ${s.failures} failed`);
        });
    }
}

export function run(): Promise<void> {
    const mocha = new Mocha({
        ui: 'bdd',
        reporter: ChannelReporter,
        color: false,
        // Generous: the first test waits for the language server to start in a cold extension host.
        timeout: 90_000,
        // A stuck test must fail, not hold the whole run until the runner's global timeout.
        slow: 5_000,
    });
    if (process.env.IRQ_E2E_GREP) mocha.grep(process.env.IRQ_E2E_GREP);
    // Files in a fixed order: the diagnostics tests first (they also wait for the server to come up), the
    // rendered-workbench checks after the API checks, the debugger last.
    const order = ['examples', 'features', 'workbench', 'editing', 'debug'];
    const files = fs.readdirSync(__dirname).filter(f => f.endsWith('.test.js'));
    files.sort((a, b) => order.indexOf(a.replace('.test.js', '')) - order.indexOf(b.replace('.test.js', '')) || a.localeCompare(b));
    for (const f of files) mocha.addFile(path.join(__dirname, f));
    return new Promise((resolve, reject) => {
        try {
            mocha.run(failures => (failures > 0 ? reject(new Error(`${failures} end-to-end tests failed`)) : resolve()));
        } catch (e) {
            emit({ event: 'fail', title: 'loading the suite', error: String(e), stack: (e as Error)?.stack ?? '' });
            emit({ event: 'end', passes: 0, failures: 1, pending: 0 });
            reject(e);
        }
    });
}
