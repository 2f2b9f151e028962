/**
 * `irq-topology decode`: field tables of known values, the IRTE decode and the engine's remapping result
 * with --irte, number parsing (hex with `_`, decimal, 64-bit values through BigInt) and bad numbers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lines, runCli } from './run-cli.js';

describe('irq-topology decode', () => {
    it('0xfee01000 0x4041: compatibility format, physical dest 1, vector 0x41 (the whole output)', () => {
        const r = runCli('decode', '0xfee01000', '0x4041');
        assert.equal(r.stderr, '');
        assert.equal(r.status, 0);
        assert.deepEqual(lines(r.stdout), [
            'MSI address 0xfee0_1000: compatibility format, physical dest 0x1',
            '  context: profile spec',
            '  bits   name              value  meaning',
            '  31:20  base              0xfee  interrupt window 0xFEE0_0000..0xFEEF_FFFF',
            '  19:12  Destination ID    0x1    APIC ID (physical)',
            '  11:5   reserved          0x0    reserved',
            '  4      Interrupt Format  0      compatibility format',
            '  3      RH                0      no redirection',
            '  2      DM                0      physical destination mode',
            "  1:0    ignored           0      don't care",
            '  bus bytes: 00 10 e0 fe',
            '',
            'MSI data 0x0000_4041: vector 0x41 · fixed · edge',
            '  context: profile spec',
            '  bits   name           value  meaning',
            '  31:16  reserved       0x0    reserved',
            '  15     Trigger Mode   edge   edge-triggered',
            '  14     Level          1      assert (Linux calls this bit active_low)',
            '  13:11  reserved       0x0    reserved, 0',
            '  10:8   Delivery Mode  fixed  Fixed: deliver the vector to every destination',
            '  7:0    Vector         0x41   interrupt vector 65',
            '  bus bytes: 41 40 00 00',
        ]);
    });

    it('0xfee00010 0x0: remappable format, handle 0', () => {
        const r = runCli('decode', '0xfee00010', '0x0');
        assert.equal(r.status, 0);
        const out = lines(r.stdout);
        assert.equal(out[0], 'MSI address 0xfee0_0010: remappable format, handle 0 → IRTE 0');
        assert.ok(out.includes('  19:5   Handle[14:0]      0x0    interrupt handle low bits (handle = 0x0)'));
        assert.ok(out.includes('  4      Interrupt Format  1      remappable format: the IRTE supplies vector and destination'));
        assert.ok(out.includes('  3      SHV               0      no subhandle: index = handle, data ignored'));
        assert.ok(out.includes('MSI data 0x0000_0000: not used for remapping (SHV=0)'));
        // No --irte: no IRTE decode and no remapping section.
        assert.ok(!out.some((l) => l.startsWith('VT-d')));
    });

    it('accepts decimal and `_`-grouped hex alike', () => {
        const hexRun = runCli('decode', '0xfee0_1000', '0x4041');
        const decRun = runCli('decode', '4276097024', '16449');
        assert.equal(decRun.status, 0);
        assert.equal(decRun.stdout, hexRun.stdout);
    });

    it('keeps all 64 address bits (no rounding through number)', () => {
        const r = runCli('decode', '--json', '0xffff_ffff_fee0_1001', '0');
        assert.equal(r.status, 0);
        const json = JSON.parse(r.stdout) as { address: { value: string } };
        assert.equal(json.address.value, '0xfffffffffee01001');
    });

    it('--irte with --eim: the IRTE decode and the remapping the engine computes (remapped to dest 1)', () => {
        const r = runCli('decode', '0xfee0_0010', '0', '--irte', '0x0000_0001_0041_0001', '0x0000_0000_0004_0018', '--eim', '--sid', '00:03.0');
        assert.equal(r.stderr, '');
        assert.equal(r.status, 0);
        const out = lines(r.stdout);
        assert.ok(out.includes('  note: IRTE 0: present, vector 0x41 → dest 0x1'));
        assert.ok(
            out.includes(
                'VT-d IRTE (remapped format) 0x0000_0001_0041_0001 0x0000_0000_0004_0018: IRTE 0: present, remapped, vector 0x41 → physical dest 0x1 · fixed · edge · SID 00:03.0 (requester)',
            ),
        );
        assert.ok(out.includes('  63:32   Destination ID  0x1        x2APIC ID (EIM on: 32 bits)'));
        const at = out.indexOf('VT-d remapping (IRTE 0 in a table of 2 entries, EIM on, posted interrupts unsupported, requester 00:03.0, profile spec): remapped');
        assert.ok(at > 0, r.stdout);
        assert.deepEqual(out.slice(at + 1), [
            '  result            remapped',
            '  index             0',
            '  vector            0x41',
            '  destination       physical 0x1',
            '  delivery mode     fixed',
            '  trigger           edge',
            '  redirection hint  0',
            '  message to APIC   address 0x0000_0000_fee0_1000 data 0x0000_4041',
        ]);
    });

    it('--irte without EIM: destination bits 39:32 are reserved, the engine faults 0x24; exit 1 (a problem found)', () => {
        const r = runCli('decode', '0xfee0_0070', '0', '--irte', '0x0000_0001_0041_0001', '0x0000_0000_0004_0018');
        assert.equal(r.status, 1);
        const out = lines(r.stdout);
        assert.ok(out.includes('  39:32   reserved        0x1        must be 0 (xAPIC mode)  <-- flagged'));
        const at = out.indexOf('VT-d remapping (IRTE 3 in a table of 4 entries, EIM off, posted interrupts unsupported, requester none: source-id check skipped, profile spec): fault');
        assert.ok(at > 0, r.stdout);
        assert.deepEqual(out.slice(at + 1), [
            '  result        fault',
            '  index         3',
            '  fault reason  0x24 IR_IRTE_RSVD: reserved field set in a present IRTE',
            '  FPD           0',
        ]);
    });

    it('--irte and a requester the IRTE does not admit: fault 0x26', () => {
        const r = runCli('decode', '0xfee0_0010', '0', '--irte', '0x0000_0001_0041_0001', '0x0000_0000_0004_0018', '--eim', '--sid', '00:04.0');
        const out = lines(r.stdout);
        assert.ok(out.includes('  fault reason  0x26 IR_SID_ERR: source-id validation failed'), r.stdout);
        assert.equal(r.status, 1);
    });

    it('--irte --json: the decodes and the remapping as data', () => {
        const r = runCli('decode', '--json', '0xfee0_0010', '0', '--irte', '0x0000_0001_0041_0001', '0x0000_0000_0004_0018', '--eim');
        assert.equal(r.status, 0);
        const json = JSON.parse(r.stdout) as Record<string, any>;
        assert.deepEqual(Object.keys(json), ['profile', 'address', 'data', 'irte', 'remap']);
        assert.equal(json.address.decode.title, 'MSI address');
        assert.equal(json.irte.lo, '0x100410001');
        assert.equal(json.irte.index, 0);
        assert.equal(json.remap.result, 'remapped');
        assert.equal(json.remap.vector, 0x41);
        assert.equal(json.remap.dest, 1);
        assert.deepEqual(json.remap.msiOut, { address: '0xfee01000', data: 0x4041 });
    });

    it('SHV=1 (the README example): the note names the entry handle + subhandle selects, the one the remapping reads', () => {
        const r = runCli('decode', '0xfee00098', '0x2', '--irte', '0x0000010000510001', '0x0000000000040020', '--eim');
        assert.equal(r.status, 0);
        const out = lines(r.stdout);
        assert.ok(out.includes('  note: IRTE 6 (handle 0x4 + subhandle 0x2): present, vector 0x51 → dest 0x100'), r.stdout);
        assert.ok(!out.some((l) => l.includes('base entry')), r.stdout);
        assert.ok(out.includes('VT-d remapping (IRTE 6 in a table of 8 entries, EIM on, posted interrupts unsupported, requester none: source-id check skipped, profile spec): remapped'), r.stdout);
        assert.ok(out.includes('  index             6 (handle 0x4 + subhandle 0x2)'), r.stdout);
    });

    it('SHV=1 without --irte: the entry selected, and that no IRTE is given (not "no IOMMU")', () => {
        const r = runCli('decode', '0xfee00098', '0x2');
        assert.equal(r.status, 0);
        const notes = lines(r.stdout).filter((l) => l.includes('note:'));
        assert.deepEqual(notes, ['  note: IRTE 6 (handle 0x4 + subhandle 0x2): no IRTE given, so where the message goes is not known']);
    });

    it('--profile qemu: handle + subhandle wraps at 16 bits; the table holds the IRTE at the wrapped index', () => {
        const r = runCli('decode', '0xfeeffffc', '0x1', '--irte', '0x0000010000510001', '0', '--eim', '--profile', 'qemu');
        assert.equal(r.status, 0);
        const out = lines(r.stdout);
        assert.ok(out.includes('  note: IRTE 0 (handle 0xffff + subhandle 0x1, wrapped at 16 bits): present, vector 0x51 → dest 0x100'), r.stdout);
        assert.ok(out.includes('VT-d remapping (IRTE 0 in a table of 2 entries, EIM on, posted interrupts unsupported, requester none: source-id check skipped, profile qemu): remapped'), r.stdout);
        // The specification faults 0x21: index 65536 is beyond any table.
        const spec = lines(runCli('decode', '0xfeeffffc', '0x1', '--irte', '0x0000010000510001', '0', '--eim').stdout);
        assert.ok(spec.includes('  note: IRTE 65536 (handle 0xffff + subhandle 0x1): beyond the table of 65536 entries (fault 0x21)'), spec.join('\n'));
        assert.ok(spec.includes('VT-d remapping (IRTE 65536 in a table of 65536 entries, EIM on, posted interrupts unsupported, requester none: source-id check skipped, profile spec): fault'), spec.join('\n'));
    });

    it('--sid: the address note checks the same requester as the remapping', () => {
        const r = runCli('decode', '0xfee0_0010', '0', '--irte', '0x0000_0001_0041_0001', '0x0000_0000_0004_0018', '--eim', '--sid', '00:04.0');
        assert.equal(r.status, 1);
        assert.ok(lines(r.stdout).includes('  note: IRTE 0: present, but it verifies sid 00:03.0 (requester) and the requester is 00:04.0 (fault 0x26)'), r.stdout);
    });

    it('--irte on a compatibility-format address is ignored with a note on stderr', () => {
        const r = runCli('decode', '0xfee01000', '0x4041', '--irte', '1', '0');
        assert.equal(r.status, 0);
        assert.equal(r.stderr, 'irq-topology: note: --irte is ignored: 0xfee0_1000 is not a remappable-format interrupt address, so no IRTE is read\n');
        assert.equal(r.stdout, runCli('decode', '0xfee01000', '0x4041').stdout);
    });

    for (const [args, message] of [
        [['0xfeeg', '0'], "irq-topology: ADDRESS '0xfeeg' is not a number: write hex (0xfee0_0010) or decimal (4276092944)"],
        [['12abc', '0'], "irq-topology: ADDRESS '12abc' is not a number: write hex (0xfee0_0010) or decimal (4276092944)"],
        [['1e3', '0'], "irq-topology: ADDRESS '1e3' is not a number: write hex (0xfee0_0010) or decimal (4276092944)"],
        [['0x1_0000_0000_0000_0000', '0'], "irq-topology: ADDRESS '0x1_0000_0000_0000_0000' does not fit in 64 bits (at most 0xffff_ffff_ffff_ffff)"],
        [['0xfee00010', '0x1_0000_0000'], "irq-topology: DATA '0x1_0000_0000' does not fit in 32 bits (at most 0xffff_ffff)"],
        [['0xfee00010', '0', '--irte', '1'], 'irq-topology: --irte takes two numbers, LO (bits 63:0) and HI (bits 127:64); got 1'],
        [['0xfee00010', '0', '--irte', '1', 'x'], "irq-topology: --irte HI 'x' is not a number: write hex (0xfee0_0010) or decimal (4276092944)"],
        [['0xfee00010', '0', '--irte', '1', '0', '--sid', '00:3z.0'], "irq-topology: --sid '00:3z.0' is not a BDF: write bb:dd.f or ssss:bb:dd.f in hex (device ≤ 1f, function ≤ 7), or a 16-bit requester id"],
    ] as const) {
        it(`bad number ${args.join(' ')}: clear message, exit 2`, () => {
            const r = runCli('decode', ...args);
            assert.equal(r.stdout, '');
            assert.equal(r.stderr, message + '\n');
            assert.equal(r.status, 2);
        });
    }

    it('a missing DATA argument is a usage error (exit 2)', () => {
        const r = runCli('decode', '0xfee00010');
        assert.match(r.stderr, /^error: missing required argument 'data'/);
        assert.equal(r.status, 2);
    });
});
