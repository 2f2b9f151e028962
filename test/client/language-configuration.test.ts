/**
 * language-configuration.json: comments and brackets as the language has them, and regexes (word pattern,
 * folding markers, indentation) that behave on real lines. VS Code runs these regexes with JavaScript's RegExp,
 * so testing them here tests what the editor does.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonc, readText } from './paths.js';

interface LanguageConfiguration {
    comments: { lineComment: string; blockComment: [string, string] };
    brackets: [string, string][];
    autoClosingPairs: { open: string; close: string; notIn?: string[] }[];
    surroundingPairs: [string, string][];
    folding: { markers: { start: string; end: string } };
    wordPattern: string;
    indentationRules: { increaseIndentPattern: string; decreaseIndentPattern: string };
}

const config = parseJsonc<LanguageConfiguration>(readText('language-configuration.json'));

/** The word VS Code takes at `column` (what double-click selects): the word-pattern match that contains it. */
function wordAt(line: string, column: number): string | undefined {
    const re = new RegExp(config.wordPattern, 'g');
    for (const m of line.matchAll(re)) {
        if (m.index! <= column && column <= m.index! + m[0].length) return m[0];
    }
    return undefined;
}

/** The word at the first character of `needle` in `line`. */
function wordOn(line: string, needle: string): string | undefined {
    const at = line.indexOf(needle);
    assert.ok(at >= 0, `${needle} not in ${line}`);
    return wordAt(line, at);
}

describe('language configuration', () => {
    test('comments are // and /* */, as in the Langium grammar', () => {
        assert.equal(config.comments.lineComment, '//');
        assert.deepEqual(config.comments.blockComment, ['/*', '*/']);
    });

    test('brackets, auto-closing and surrounding pairs cover {} [] ()', () => {
        const pairs = [['{', '}'], ['[', ']'], ['(', ')']];
        assert.deepEqual(config.brackets, pairs);
        for (const [open, close] of pairs) {
            assert.ok(config.autoClosingPairs.some(p => p.open === open && p.close === close), `auto-close ${open}${close}`);
            assert.ok(config.surroundingPairs.some(([o, c]) => o === open && c === close), `surround ${open}${close}`);
        }
        const quote = config.autoClosingPairs.find(p => p.open === '"');
        assert.deepEqual(quote?.notIn, ['string', 'comment']);
    });

    test('the word pattern keeps BDFs, hex numbers and hyphenated names whole', () => {
        assert.equal(wordOn('    sid 00:03.0 sq all', '03'), '00:03.0');
        assert.equal(wordOn('    sid 00:03.0 sq all', '.0'), '00:03.0');
        assert.equal(wordOn('    bridge rp0 0000:00:1c.0 pcie-root-port to pci1', '1c'), '0000:00:1c.0');
        assert.equal(wordOn('    bridge rp0 0000:00:1c.0 pcie-root-port to pci1', 'root'), 'pcie-root-port');
        assert.equal(wordOn('        entry 0 address 0xfee0_0010 data 0', '0010'), '0xfee0_0010');
        assert.equal(wordOn('    irte 4 { vector 0x60 dest 0x1 lowest-priority edge }', 'priority'), 'lowest-priority');
        assert.equal(wordOn('scenario affinity-change on q35 {', 'change'), 'affinity-change');
        assert.equal(wordOn('  arch x86_64', '64'), 'x86_64');
    });

    test('the word pattern splits references at `.` and ranges at `..`', () => {
        const line = '    irqfd nic.msix[0] gsi 24';
        assert.equal(wordOn(line, 'nic'), 'nic');
        assert.equal(wordOn(line, 'msix'), 'msix');
        assert.equal(wordOn(line, '0]'), '0');
        assert.equal(wordOn('  update dmar0.irte 0 dest 5', 'dmar0'), 'dmar0');
        assert.equal(wordOn('  cpus 0..11', '0..'), '0');
        assert.equal(wordOn('  cpus 0..11', '11'), '11');
        assert.equal(wordOn('  cpus 0..11', 'cpus'), 'cpus');
    });

    test('folding markers: a line ending in `{` opens a fold, a line starting with `}` closes it', () => {
        const start = new RegExp(config.folding.markers.start);
        const end = new RegExp(config.folding.markers.end);
        for (const line of ['machine q35 {', '  iommu dmar0 vtd {', '  bus pci1 {                        // behind dmar0', '  kvm {  ', '// region CPUs']) {
            assert.ok(start.test(line), `starts a fold: ${line}`);
        }
        for (const line of [
            '    irte 0 { vector 0x41 dest 3 fixed edge physical sid 00:03.0 }', // opened and closed on one line
            '  // see the machine {',
            '  cpus 0..11 // one line, no block',
        ]) {
            assert.ok(!start.test(line), `does not start a fold: ${line}`);
        }
        for (const line of ['}', '  }', '    }  // end of pci0', '// endregion']) assert.ok(end.test(line), `ends a fold: ${line}`);
        assert.ok(!end.test('    irte 0 { vector 0x41 }'), 'a one-line block does not end a fold');
    });

    test('indentation: indent after an open brace, outdent a closing one', () => {
        const increase = new RegExp(config.indentationRules.increaseIndentPattern);
        const decrease = new RegExp(config.indentationRules.decreaseIndentPattern);
        assert.ok(increase.test('  iommu dmar0 vtd {'));
        assert.ok(!increase.test('    irte 0 { vector 0x41 }'));
        assert.ok(!increase.test('  // {'));
        assert.ok(decrease.test('  }'));
        assert.ok(!decrease.test('  cpus 0..11'));
    });

    test('the file is JSON once its comments are removed (no trailing commas)', () => {
        assert.throws(() => parseJsonc('{ "a": 1, }'));
        assert.deepEqual(parseJsonc('// c\n{ "a": "//not a comment", /* b */ "b": 2 }'), { a: '//not a comment', b: 2 });
    });
});
