/** The program as a whole: usage, --help, --version, unknown commands and options, exit statuses. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readRepoFile, runCli } from './run-cli.js';

describe('irq-topology arguments', () => {
    it('--version prints the package version, exit 0', () => {
        const version = (JSON.parse(readRepoFile('package.json')) as { version: string }).version;
        const r = runCli('--version');
        assert.equal(r.stdout, `${version}\n`);
        assert.equal(r.status, 0);
    });

    it('--help lists the four commands on stdout, exit 0', () => {
        const r = runCli('--help');
        assert.equal(r.status, 0);
        assert.match(r.stdout, /^Usage: irq-topology \[options\] \[command\]/);
        for (const c of ['check [options] <files...>', 'route [options] <file> <source>', 'decode [options] <address> <data>', 'conformance [options] <file>']) {
            assert.ok(r.stdout.includes(c), c);
        }
        assert.equal(r.stderr, '');
    });

    it('a command\'s --help shows its options, exit 0', () => {
        const r = runCli('route', '--help');
        assert.equal(r.status, 0);
        assert.match(r.stdout, /^Usage: irq-topology route \[options\] <file> <source>/);
        assert.ok(r.stdout.includes('--machine <name>'));
    });

    it('no command: usage on stderr, exit 2', () => {
        const r = runCli();
        assert.equal(r.stdout, '');
        assert.match(r.stderr, /^Usage: irq-topology \[options\] \[command\]/);
        assert.equal(r.status, 2);
    });

    it('an unknown command: the error and the usage on stderr, exit 2', () => {
        const r = runCli('frobnicate', 'x.irq');
        assert.equal(r.stdout, '');
        assert.match(r.stderr, /^error: unknown command 'frobnicate'\n/);
        assert.ok(r.stderr.includes('Usage: irq-topology [options] [command]'));
        assert.equal(r.status, 2);
    });

    it('an unknown option: exit 2', () => {
        const r = runCli('check', '--frobnicate', 'test/fixtures/cli/clean.irq');
        assert.match(r.stderr, /^error: unknown option '--frobnicate'/);
        assert.equal(r.status, 2);
    });

    it('too many arguments: exit 2', () => {
        const r = runCli('route', 'test/fixtures/cli/routes.irq', 'nic.msix[0]', 'extra');
        assert.match(r.stderr, /^error: too many arguments for 'route'/);
        assert.equal(r.status, 2);
    });
});
