/**
 * The TextMate grammar (syntaxes/irq.tmLanguage.json): well-formed, portable regexes, and the scopes it gives to
 * the constructs users read most (modes, numbers, BDFs, ranges, vector references).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readJson, readText, repoPath } from './paths.js';
import { Tokenizer, allRegexes, allRules, assertPortableRegex, type Grammar, type Token } from './textmate.js';

const GRAMMAR_PATH = 'syntaxes/irq.tmLanguage.json';
const grammar = readJson<Grammar>(GRAMMAR_PATH);
const tokenizer = new Tokenizer(grammar);

/** The token that contains the `occurrence`-th appearance of `needle` in `line` (0-based). */
function tokenAt(line: string, needle: string, occurrence = 0): Token {
    let index = -1;
    for (let i = 0; i <= occurrence; i++) {
        index = line.indexOf(needle, index + 1);
        assert.ok(index >= 0, `${JSON.stringify(needle)} not found in ${JSON.stringify(line)}`);
    }
    const tokens = tokenizer.tokenize(line)[0];
    return tokens.find(t => t.start <= index && index < t.start + t.text.length)!;
}

/** Asserts that `needle` is one whole token in `line` and carries `scope`. */
function assertToken(line: string, needle: string, scope: string, occurrence = 0): void {
    const token = tokenAt(line, needle, occurrence);
    assert.equal(token.text, needle, `in ${JSON.stringify(line)}: token ${JSON.stringify(token.text)} (${token.scopes.join(' ')})`);
    assert.ok(
        token.scopes.includes(scope),
        `in ${JSON.stringify(line)}: ${JSON.stringify(needle)} has ${token.scopes.join(' ')}, expected ${scope}`,
    );
}

/** Asserts that every character of `needle` (which may span several tokens) carries `scope`. */
function assertCovers(line: string, needle: string, scope: string): void {
    const start = line.indexOf(needle);
    assert.ok(start >= 0, `${JSON.stringify(needle)} not found in ${JSON.stringify(line)}`);
    const tokens = tokenizer.tokenize(line)[0].filter(t => t.start < start + needle.length && t.start + t.text.length > start);
    for (const t of tokens) {
        assert.ok(t.scopes.includes(scope), `${JSON.stringify(t.text)} in ${JSON.stringify(line)} has ${t.scopes.join(' ')}, expected ${scope}`);
    }
}

/** Asserts that no character of `needle` gets a scope starting with `prefix`. */
function assertNoScope(line: string, needle: string, prefix: string): void {
    const start = line.indexOf(needle);
    const tokens = tokenizer.tokenize(line)[0].filter(t => t.start < start + needle.length && t.start + t.text.length > start);
    for (const t of tokens) {
        assert.ok(!t.scopes.some(s => s.startsWith(prefix)), `${JSON.stringify(t.text)} in ${JSON.stringify(line)} has ${t.scopes.join(' ')}`);
    }
}

describe('grammar file', () => {
    test('is JSON with the scope name the manifest contributes', () => {
        assert.equal(grammar.scopeName, 'source.irq');
        const pkg = readJson('package.json');
        const contributed = pkg.contributes.grammars.find((g: { language: string }) => g.language === 'irq');
        assert.equal(contributed.scopeName, grammar.scopeName);
    });

    test('every regex compiles and uses only syntax Oniguruma and JavaScript read alike', () => {
        const regexes = allRegexes(grammar);
        assert.ok(regexes.length > 20, `only ${regexes.length} regexes found`);
        for (const { path, source } of regexes) {
            assert.doesNotThrow(() => assertPortableRegex(source), `${path}: ${source}`);
        }
    });

    test('every include names a repository entry, and every entry is used', () => {
        const used = new Set<string>();
        for (const rule of allRules(grammar)) {
            if (rule.include === undefined) continue;
            assert.match(rule.include, /^#/, `external include ${rule.include}`);
            assert.ok(grammar.repository?.[rule.include.slice(1)], `include ${rule.include} names no repository entry`);
            used.add(rule.include.slice(1));
        }
        for (const name of Object.keys(grammar.repository ?? {})) assert.ok(used.has(name), `repository.${name} is never included`);
    });

    test('every scope name ends in .irq, so themes and tests can tell ours apart', () => {
        for (const rule of allRules(grammar)) {
            for (const name of [rule.name, rule.contentName]) {
                for (const scope of name?.split(/\s+/) ?? []) assert.match(scope, /\.irq$/, name);
            }
        }
    });
});

describe('highlighting', () => {
    test('line and block comments, including a block comment across lines', () => {
        assertCovers('cpus 0..11  // cpu N gets APIC ID N', '// cpu N gets APIC ID N', 'comment.line.double-slash.irq');
        assertToken('cpus 0..11  // cpu N gets APIC ID N', '//', 'punctuation.definition.comment.irq');
        assertNoScope('cpus 0..11  // cpu N gets APIC ID N', 'cpus 0..11', 'comment');
        const lines = tokenizer.tokenize('cpu 1 /* a\n still fixed\n */ cpu 2');
        assert.ok(lines[1][0].scopes.includes('comment.block.irq'), 'line 2 is inside the comment');
        assert.ok(!lines[1][0].scopes.some(s => s.startsWith('support.constant')), 'keywords inside a comment are not highlighted');
        const after = lines[2].find(t => t.text === 'cpu')!;
        assert.ok(!after.scopes.includes('comment.block.irq'), 'the comment ends at */');
        assert.ok(after.scopes.includes('keyword.other.irq'));
    });

    test('declarations name what they declare and what they hang off', () => {
        assertToken('machine q35 {', 'machine', 'storage.type.machine.irq');
        assertToken('machine q35 {', 'q35', 'entity.name.type.machine.irq');
        assertToken('  iommu dmar0 vtd {', 'dmar0', 'entity.name.type.iommu.irq');
        assertToken('  iommu dmar0 vtd {', 'vtd', 'constant.language.iommu-kind.irq');
        assertToken('  bus pci0 behind dmar0 {', 'pci0', 'entity.name.type.bus.irq');
        assertToken('  bus pci0 behind dmar0 {', 'behind', 'keyword.other.irq');
        assertToken('  bus pci0 behind dmar0 {', 'dmar0', 'variable.other.reference.irq');
        const numbered = '  bus pci2 number 0x02 segment 1 on phb0 {';
        assertToken(numbered, 'pci2', 'entity.name.type.bus.irq');
        assertToken(numbered, 'number', 'keyword.other.irq');
        assertToken(numbered, '0x02', 'constant.numeric.hex.irq');
        assertToken(numbered, 'segment', 'keyword.other.irq');
        assertToken(numbered, 'on', 'keyword.other.irq');
        assertToken(numbered, 'phb0', 'variable.other.reference.irq');
        assertToken('  bus pci3 segment 1 behind dmar1', 'dmar1', 'variable.other.reference.irq');
        assertToken('    device nic 00:03.0 virtio-net {', 'nic', 'entity.name.type.device.irq');
        assertCovers('    device nic 00:03.0 virtio-net {', '00:03.0', 'constant.other.bdf.irq');
        assertToken('    device nic 00:03.0 virtio-net {', 'virtio-net', 'support.type.device-model.irq');
        assertToken('    device nvme 00:04.0 {', '{', 'punctuation.section.block.begin.irq');
        assertToken('scenario affinity-change on q35 {', 'affinity-change', 'entity.name.type.scenario.irq');
        assertToken('scenario affinity-change on q35 {', 'on', 'keyword.other.irq');
        assertToken('scenario affinity-change on q35 {', 'q35', 'variable.other.reference.irq');
        const bridge = '    bridge rp0 00:1c.0 pcie-root-port to pci1';
        assertToken(bridge, 'bridge', 'storage.type.bridge.irq');
        assertToken(bridge, 'rp0', 'entity.name.type.bridge.irq');
        assertToken(bridge, 'pcie-root-port', 'constant.language.bridge-kind.irq');
        assertToken(bridge, 'to', 'keyword.other.irq');
        assertToken(bridge, 'pci1', 'variable.other.reference.irq');
        assertToken('  kvm {', 'kvm', 'storage.type.kvm.irq');
        assertToken('  phb phb0 { msi window 0x1000_0000_0000 size 0x1_0000 }', 'phb0', 'entity.name.type.phb.irq');
        // `sid bus 0..3` is a bus range in an IRTE, not a bus declaration
        assertToken('    irte 6 { vector 0x70 dest 1 sid bus 0..3 svt bus-range }', 'bus', 'keyword.other.irq');
        assertToken('    irte 6 { vector 0x70 dest 1 sid bus 0..3 svt bus-range }', 'bus-range', 'constant.language.source-validation.irq');
    });

    test('delivery, trigger and destination modes have scopes of their own', () => {
        const line = '    irte 4 { vector 0x60 dest 0x1 lowest-priority edge logical sid 00:04.0 }';
        assertToken(line, 'lowest-priority', 'support.constant.delivery-mode.irq');
        assertToken(line, 'edge', 'support.constant.trigger-mode.irq');
        assertToken(line, 'logical', 'support.constant.destination-mode.irq');
        for (const mode of ['fixed', 'smi', 'nmi', 'init', 'extint']) {
            assertToken(`irte 0 { vector 0x41 dest 3 ${mode} level physical }`, mode, 'support.constant.delivery-mode.irq');
        }
        assertToken('irte 0 { vector 0x41 dest 3 fixed level physical }', 'level', 'support.constant.trigger-mode.irq');
        assertToken('irte 0 { vector 0x41 dest 3 fixed level physical }', 'physical', 'support.constant.destination-mode.irq');
    });

    test('keywords, and on/off as booleans', () => {
        const line = '    irte 1 { vector 0x42 dest 0x100 fixed edge physical sid 00:03.0 sq ignore-bits2-1 svt requester rh fpd }';
        for (const kw of ['irte', 'vector', 'dest', 'sid', 'sq', 'svt', 'rh', 'fpd']) assertToken(line, kw, 'keyword.other.irq');
        assertToken(line, 'ignore-bits2-1', 'constant.language.source-qualifier.irq');
        assertToken(line, 'requester', 'constant.language.source-validation.irq');
        assertToken('      msi vectors 2 capable 8 64bit per-vector-mask address 0xfee0_0098 data 0', '64bit', 'keyword.other.irq');
        assertToken('      msi vectors 2 capable 8 64bit per-vector-mask address 0xfee0_0098 data 0', 'per-vector-mask', 'keyword.other.irq');
        assertToken('    x2apic-api on', 'x2apic-api', 'keyword.other.irq');
        assertToken('    remapping on', 'on', 'constant.language.boolean.irq');
        assertToken('    cfi off', 'off', 'constant.language.boolean.irq');
        assertToken('  apic x2apic', 'x2apic', 'constant.language.apic-mode.irq');
        assertToken('  arch x86_64', 'x86_64', 'constant.language.arch.irq');
        assertToken('  fire nic.msix[0]', 'fire', 'keyword.control.event.irq');
        assertToken('  unmask nic.msix[1]', 'unmask', 'keyword.control.event.irq');
    });

    test('pseries, KVM and VFIO: keywords, and their value words as constants', () => {
        const phb = '  phb phb0 { model legacy msi window 0x1000_0000_0000 size 0x20_0000 max-devs 32 }';
        assertToken(phb, 'model', 'keyword.other.irq');
        assertToken(phb, 'legacy', 'constant.language.phb-model.irq');
        assertToken(phb, 'max-devs', 'keyword.other.irq');
        const irq = '      irq base 0x1104 count 4 slot 0 server 8 priority 5';
        for (const kw of ['irq', 'base', 'count', 'slot', 'server', 'priority']) assertToken(irq, kw, 'keyword.other.irq');
        assertToken('    source 0x1103 server 8 priority 0xff', 'source', 'keyword.other.irq');
        const vfio = '      vfio { msix-bar 2 table-offset 0x0 pba-offset 0x800 pba-bar 2 bar-size 0x4000 page-size 65536 mmap }';
        for (const kw of ['vfio', 'msix-bar', 'table-offset', 'pba-offset', 'pba-bar', 'bar-size', 'page-size']) assertToken(vfio, kw, 'keyword.other.irq');
        assertToken(vfio, 'mmap', 'constant.language.vfio-access.irq');
        assertToken('      vfio { shared-page }', 'shared-page', 'constant.language.vfio-access.irq');
        assertToken('      ims 64 unmaskable {', 'unmaskable', 'keyword.other.irq');
        assertToken('    gsi-mapping direct', 'gsi-mapping', 'keyword.other.irq');
        assertToken('    gsi-mapping direct', 'direct', 'constant.language.kvm.irq');
        assertToken('    max-routes 1024', 'max-routes', 'keyword.other.irq');
        const route = '    route gsi 5 irqchip ioapic pin 5';
        assertToken(route, 'irqchip', 'keyword.other.irq');
        assertToken(route, 'ioapic', 'constant.language.kvm.irq');
        assertToken(route, 'pin', 'keyword.other.irq');
        assertToken('    irqfd nic.msix[0] gsi 24 resample', 'resample', 'keyword.other.irq');
        assertToken('    signal-msi ipi address 0xfee0_1000 data 0x31', 'signal-msi', 'keyword.other.irq');
    });

    test('hex numbers with `_` are one token, and so are decimals', () => {
        assertToken('        entry 0 address 0xfee0_0010 data 0x0000', '0xfee0_0010', 'constant.numeric.hex.irq');
        assertToken('        entry 0 address 0xfee0_0010 data 0x0000', '0x0000', 'constant.numeric.hex.irq');
        assertToken('    irte 3 raw 0x0000_0003_0041_0001 0x0000_0000_0004_0018', '0x0000_0000_0004_0018', 'constant.numeric.hex.irq');
        assertToken('    table size 256', '256', 'constant.numeric.decimal.irq');
        assertToken('  xics sources 1_000', '1_000', 'constant.numeric.decimal.irq');
        assertToken('  data 0x_1', '0x_1', 'constant.numeric.hex.irq');
        assertNoScope('  device dmar0x1 q35 x86_64', 'dmar0x1', 'constant.numeric');
        assertNoScope('  data 0xZZ', '0xZZ', 'constant.numeric');
    });

    test('BDF literals, with and without a segment', () => {
        assertCovers('    device nic 00:03.0 virtio-net {', '00:03.0', 'constant.other.bdf.irq');
        assertCovers('    sid 00:03.0 }', '00:03.0', 'constant.other.bdf.irq');
        assertToken('    bridge pcie-root 0000:00:1c.0 to pci1', '0000', 'constant.numeric.segment.irq');
        const t = tokenizer.tokenize('    bridge pcie-root 0000:00:1c.0 to pci1')[0].filter(x => x.scopes.includes('constant.other.bdf.irq'));
        assert.equal(t.map(x => x.text).join(''), '0000:00:1c.0');
        assertToken('sid 0a:1f.7', '1f', 'constant.numeric.device.irq');
        assertToken('sid 0a:1f.7', '7', 'constant.numeric.function.irq');
        // The lexer reads any hex digit as the function (validation reports one above 7), and so does the grammar.
        assertToken('sid 00:03.8', '8', 'constant.numeric.function.irq');
    });

    test('ranges', () => {
        assertToken('  cpus 0..11', '..', 'keyword.operator.range.irq');
        assertToken('  cpus 0..11', '0', 'constant.numeric.decimal.irq');
        assertToken('  cpus 0..11', '11', 'constant.numeric.decimal.irq');
        assertToken('  cpus 0..11', '11', 'meta.range.irq');
        assertToken('  xics sources 4096..8191', '4096', 'meta.range.irq');
        assertToken('  xics sources 0x1000 .. 0x1fff', '0x1fff', 'constant.numeric.hex.irq');
    });

    test('vector references and qualified names', () => {
        const line = '    irqfd nic.msix[0] gsi 24';
        assertToken(line, 'nic', 'variable.other.device.irq');
        assertToken(line, '.', 'punctuation.accessor.irq');
        assertToken(line, 'msix', 'keyword.other.source.irq');
        assertToken(line, '[', 'punctuation.section.brackets.begin.irq');
        assertToken(line, '0', 'constant.numeric.decimal.irq');
        assertToken(line, '0', 'meta.reference.vector.irq');
        assertToken(line, ']', 'punctuation.section.brackets.end.irq');
        assertToken('  fire gpu.ims[0x1]', '0x1', 'constant.numeric.hex.irq');
        assertToken('  fire my-nvme.msi[1]', 'my-nvme', 'variable.other.device.irq');
        assertToken('  update dmar0.irte 0 dest 5', 'dmar0', 'variable.other.irq');
        assertToken('  update dmar0.irte 0 dest 5', 'irte', 'keyword.other.irq');
        assertToken('  x a.b', 'a', 'variable.other.irq');
        assertToken('  x a.b', 'b', 'variable.other.property.irq');
    });

    test('a keyword inside a longer or hyphenated name is not a keyword', () => {
        assertNoScope('    device msi-dev 00:05.0 virtio-net', 'virtio-net', 'keyword');
        assertNoScope('    bus data0 {', 'data0', 'keyword');
        assertNoScope('    device fixedfn 00:05.0', 'fixedfn', 'support');
        assertToken('    device msi-dev 00:05.0', 'msi-dev', 'entity.name.type.device.irq');
        assertNoScope('  x edge-case', 'edge-case', 'support');
    });

    test('strings', () => {
        assertToken('    device nic 00:03.0 "virtio net" {', '"', 'punctuation.definition.string.begin.irq');
        assertCovers('    device nic 00:03.0 "virtio net" {', '"virtio net"', 'string.quoted.double.irq');
        assertToken('    device nic 00:03.0 "virtio net" {', 'virtio net', 'support.type.device-model.irq');
        assertCovers('  x "a // not a comment" y', '"a // not a comment"', 'string.quoted.double.irq');
        assertNoScope('  x "a // not a comment" y', '"a // not a comment"', 'comment');
    });

    test('every keyword the issue lists is highlighted', () => {
        const brief = [
            'machine', 'arch', 'apic', 'cpus', 'cpu', 'iommu', 'vtd', 'remapping', 'eim', 'cfi', 'posted', 'table', 'size',
            'irte', 'raw', 'bus', 'behind', 'bridge', 'to', 'device', 'msi', 'msix', 'ims', 'entry', 'address', 'data',
            'vector', 'vectors', 'dest', 'sid', 'sq', 'svt', 'masked', 'pending', 'kvm', 'scenario', 'on', 'off',
            'fixed', 'lowest-priority', 'smi', 'nmi', 'init', 'extint', 'edge', 'level', 'physical', 'logical',
        ];
        for (const word of brief) {
            const [token] = tokenizer.tokenize(word)[0];
            assert.equal(token.text, word);
            assert.ok(token.scopes.length > 1, `${word} is not highlighted`);
        }
    });
});

describe('in step with the Langium grammar', () => {
    const langium = 'language/irq.langium';
    test('every keyword of language/irq.langium is highlighted', { skip: !existsSync(repoPath(langium)) && `${langium} does not exist yet` }, () => {
        // Keywords are the quoted words of the grammar; punctuation and terminals' regexes are not words.
        const source = readText(langium).replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
        const keywords = new Set([...source.matchAll(/(["'])(\w[\w-]*)\1/g)].map(m => m[2]));
        assert.ok(keywords.size > 0, 'no keywords found');
        const missing = [...keywords].filter(word => {
            const [token] = tokenizer.tokenize(word)[0];
            return token.text !== word || token.scopes.length === 1;
        });
        assert.deepEqual(missing, [], `keywords without a TextMate scope: ${missing.join(', ')}`);
    });
});
