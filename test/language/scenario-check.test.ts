/**
 * The scenario check (language/validation/scenario-check.ts): what the simulator reports about a scenario
 * becomes a diagnostic on the event line that caused it (the literal, when the finding names a property),
 * with related information on the IRTE and the events involved. Exact codes, messages and ranges.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnostic } from 'vscode-languageserver-types';
import { createIrqHeadless } from '../../language/headless.js';
import { load, rangeOfPart, rangeOfText, rangeText } from './helpers.js';

const ERROR = 1, WARNING = 2;

/** EIM off (8-bit IRTE destinations), IRTE 0 present, one NIC whose entry 0 selects it. */
function machine(events: string[]): string {
    return [
        'machine host {',
        '  apic x2apic',
        '  cpus 0..7',
        '  iommu dmar0 vtd {',
        '    eim off',
        '    irte 0 { vector 0x41 dest 2 sid 00:03.0 }',
        '  }',
        '  bus pci0 behind dmar0 {',
        '    device nic 00:03.0 { msix table 1 { entry 0 address 0xfee0_0010 data 0 } }',
        '  }',
        '}',
        'scenario s on host {',
        ...events.map((e) => `  ${e}`),
        '}',
        '',
    ].join('\n');
}

/** The scenario diagnostics, with their related information. */
function scenarioDiags(ds: Diagnostic[] | undefined) {
    return (ds ?? [])
        .filter((d) => String(d.code).startsWith('scenario-'))
        .map((d) => ({
            code: String(d.code),
            severity: d.severity,
            message: d.message,
            range: rangeText(d.range),
            related: (d.relatedInformation ?? []).map((r) => `${rangeText(r.location.range)} ${r.message}`),
        }));
}

describe('scenario check', () => {
    test('a fault during the scenario: on the event that sent the message, with the IRTE and the update that wrote it', async () => {
        const text = machine(['update dmar0.irte 0 dest 0x100 and invalidate', 'fire nic.msix[0]']);
        const r = await load(text);
        assert.deepEqual(scenarioDiags(r.diagnostics), [
            {
                code: 'scenario-fault',
                severity: WARNING,
                message:
                    "nic.msix[0] faults here (`fire nic.msix[0]`): VT-d fault 0x24 (IR_IRTE_RSVD) at dmar0: IRTE 0 sets reserved bits (48); the destination needs more than 8 bits: set `eim on` or use an APIC ID ≤ 0xFF. Recorded in dmar0's fault log (#1).",
                range: rangeOfText(text, 'fire nic.msix[0]'),
                related: [
                    `${rangeOfText(text, 'irte 0')} dmar0: IRTE 0 reserved bits 48`,
                    `${rangeOfText(text, 'update dmar0.irte 0 dest 0x100 and invalidate')} IRTE 0 as \`update dmar0.irte 0\` (event 1) wrote it`,
                ],
            },
        ]);
        // QEMU reads dest[7:0] only (0x0 → CPU 0): no fault, nothing to report.
        const qemu = createIrqHeadless({ profile: 'qemu' });
        assert.deepEqual(scenarioDiags((await qemu.loadText(text)).diagnostics), []);
    });

    test('a not-present IRTE: the fault is on the fire, the related information on the IRTE and the update', async () => {
        const text = machine(['update dmar0.irte 0 not-present and invalidate', 'fire nic.msix[0]']);
        const d = scenarioDiags((await load(text)).diagnostics);
        assert.deepEqual(d.map((x) => [x.code, x.range, x.related]), [
            [
                'scenario-fault',
                rangeOfText(text, 'fire nic.msix[0]'),
                [`${rangeOfText(text, 'irte 0')} dmar0: IRTE 0 not present`, `${rangeOfText(text, 'update dmar0.irte 0 not-present and invalidate')} IRTE 0 as \`update dmar0.irte 0\` (event 1) wrote it`],
            ],
        ]);
        assert.match(d[0].message, /VT-d fault 0x22 \(IR_ENTRY_P\) at dmar0: IRTE 0 is not present/);
    });

    test('`eoi` and `affinity` on a CPU the machine does not have: an error on the CPU number', async () => {
        const text = machine(['eoi cpu 99', 'affinity nic.msix[0] cpu 77']);
        assert.deepEqual(scenarioDiags((await load(text)).diagnostics), [
            {
                code: 'scenario-unknown-cpu',
                severity: ERROR,
                message: 'host has no CPU 99 (its CPUs: 0..7): the EOI does nothing.',
                range: rangeOfPart(text, 'eoi cpu 99', '99'),
                related: [`${rangeOfPart(text, 'machine host', 'host')} machine host`],
            },
            {
                code: 'scenario-unknown-cpu',
                severity: ERROR,
                message: "host has no CPU 77 (its CPUs: 0..7): nic.msix[0]'s affinity does not change.",
                range: rangeOfPart(text, 'cpu 77', '77'),
                related: [`${rangeOfPart(text, 'machine host', 'host')} machine host`],
            },
        ]);
    });

    test('an update the IRTE cannot hold: an error on the value', async () => {
        const text = machine(['update dmar0.irte 0 dest 0x100_0000 and invalidate']);
        assert.deepEqual(scenarioDiags((await load(text)).diagnostics), [
            {
                code: 'scenario-update-unencodable',
                severity: ERROR,
                message: 'IRTE 0 of dmar0 cannot be written: IRTE dest 0x1000000 cannot be written without EIM. The IRTE is not changed: the rest of the scenario runs with the entry it had.',
                range: rangeOfText(text, '0x100_0000'),
                related: [`${rangeOfText(text, 'irte 0')} IRTE 0 of dmar0 (EIM off: 8-bit destinations)`],
            },
        ]);
    });

    test('a message that reaches no CPU: a lost interrupt on the fire', async () => {
        const text = machine(['update dmar0.irte 0 dest 0x55 and invalidate', 'fire nic.msix[0]']);
        assert.deepEqual(scenarioDiags((await load(text)).diagnostics), [
            {
                code: 'scenario-pending-lost',
                severity: WARNING,
                message: "nic.msix[0]: no CPU accepts physical destination 0x55; the interrupt is lost. Point the IRTE's destination at a CPU that exists and whose local APIC is enabled.",
                range: rangeOfText(text, 'fire nic.msix[0]'),
                related: [
                    `${rangeOfPart(text, 'irte 0 { vector 0x41 dest 2', '2')} IRTE 0 of dmar0: physical dest 0x55`,
                    `${rangeOfText(text, 'update dmar0.irte 0 dest 0x55 and invalidate')} IRTE 0 as \`update dmar0.irte 0\` (event 1) wrote it`,
                ],
            },
        ]);
    });

    test('`present`, `rh off`, `fpd off`: an update programs a not-present entry; a flag set and cleared at once is an error', async () => {
        const text = machine([
            'update dmar0.irte 0 not-present rh fpd and invalidate',
            'fire nic.msix[0]',
            'update dmar0.irte 0 present rh off fpd off and invalidate',
            'fire nic.msix[0]',
            'update dmar0.irte 0 rh rh off',
        ]);
        const r = await load(text);
        const d = (r.diagnostics ?? []).map((x) => [String(x.code), x.severity, x.message, rangeText(x.range)]);
        assert.deepEqual(d.map(([code, , , range]) => [code, range]), [
            ['duplicate-setting', rangeOfPart(text, 'rh rh off', 'off')],
            ['scenario-fault', rangeOfText(text, 'fire nic.msix[0]', 0)],
        ]);
        assert.equal(d[0][2], '`rh` and `rh off` contradict each other: write one of them.');
        assert.equal(d[0][1], ERROR);
        const [, , clear] = r.document.parseResult.value.scenarios[0].events;
        assert.deepEqual([clear.$type, (clear as { present?: boolean }).present, (clear as { rhOff?: boolean }).rhOff, (clear as { fpdOff?: boolean }).fpdOff], ['UpdateEvent', true, true, true]);
    });
});
