/**
 * Cases in the conformance schema for branches the shared fixture does not exercise, run through the same
 * runCase normalisation (the shapes the README specifies for each arch).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCase, type ConformanceCase } from '../../language/engine/index.js';

const run = (arch: string, input: object, profile: 'spec' | 'qemu' = 'spec') => runCase({ id: 'extra', arch, input, expect: {} } as ConformanceCase, profile).actual;

describe('extra conformance-shaped cases', () => {
    test('x86-compat: KVM route invalid, ext dest id with x2APIC format, broadcast in the wide format', () => {
        assert.deepEqual(run('x86-compat', { addr_lo: 0xfee0_1000, addr_hi: 0x1201, data: 0x41, x2apic_format: true }), { error: 'KVM_MSI_ROUTE_INVALID' });
        assert.deepEqual(run('x86-compat', { addr_lo: 0xfed0_0000, data: 0x41 }), { error: 'NOT_INTERRUPT_ADDRESS' });
        assert.equal(run('x86-compat', { addr_lo: 0xfeef_f000, addr_hi: 0xffff_ff00, data: 0x41, x2apic_format: true }).broadcast, true);
    });

    test('x86-deliver: quirk enabled turns 0xFF into x2APIC broadcast', () => {
        const cpus = [
            { apic_id: 0, mode: 'x2apic' },
            { apic_id: 300, mode: 'x2apic' },
        ];
        assert.deepEqual(run('x86-deliver', { msi: { addr_lo: 0xfeef_f000, data: 0x30, x2apic_format: true }, cpus }), { vector: 0x30, delivery_mode: 0, trigger: 'edge', targets: [0, 300], lowest_priority: false });
        assert.deepEqual(run('x86-deliver', { msi: { addr_lo: 0xfee0_0000, addr_hi: 0x100, data: 0x30, x2apic_format: true }, cpus: [...cpus, { apic_id: 256, mode: 'x2apic' }] }).targets, [256]);
    });

    test('vtd: posted result, with pda as 0x%016x', () => {
        const input = {
            addr_lo: 0xfee0_0290,
            data: 0,
            ir: { enabled: true, eime: true, cfis: false, irta_s: 7, posted_supported: true },
            irte: { '20': { lo: '0x7f3c00400050c001', hi: '0x0000000100000000' } },
        };
        assert.deepEqual(run('vtd', input), { result: 'posted', index: 20, vector: 0x50, urgent: 1, pda: '0x000000017f3c0040' });
        // QEMU does not look at IM: URG (bit 14) is in its reserved field.
        assert.deepEqual(run('vtd', input, 'qemu'), { result: 'fault', fault_reason: 0x24, fault_name: 'IR_IRTE_RSVD', fpd: 0 });
        // Without posted support the spec rejects IM=1.
        assert.deepEqual(run('vtd', { ...input, ir: { ...input.ir, posted_supported: false } }), { result: 'fault', fault_reason: 0x24, fault_name: 'IR_IRTE_RSVD', fpd: 0 });
    });

    test('vtd: 0x23 when the table runs past the host address width (optional irta/haw inputs)', () => {
        // A 4 KiB-aligned table whose first 256 entries end exactly at 2^39; IRTA.S=8 declares 512.
        const ir = { enabled: true, eime: true, cfis: false, irta_s: 8, irta: '0x7ffffff000', haw: 39 };
        const irte = { '255': { lo: '0x0000000100410001', hi: '0x0' }, '256': { lo: '0x0000000100410001', hi: '0x0' } };
        assert.deepEqual(run('vtd', { addr_lo: 0xfee0_2010, data: 0, ir, irte }), { result: 'fault', fault_reason: 0x23, fault_name: 'IR_ROOT_INVAL', fpd: null });
        assert.equal(run('vtd', { addr_lo: 0xfee0_1ff0, data: 0, ir, irte }).result, 'remapped');
    });

    test('vtd: IOAPIC mismatch warnings, sorted', () => {
        const input = { addr_lo: 0xfee0_0210, data: 0x0032, source: 'ioapic', ir: { enabled: true, eime: true, cfis: false, irta_s: 7 }, irte: { '16': { lo: '0x0000000200310011', hi: '0x0000000000000000' } } };
        assert.deepEqual(run('vtd', input).warnings, ['ioapic_trigger_mismatch', 'ioapic_vector_mismatch']);
    });

    test('vtd: IR off passes a remappable message through as an error decode', () => {
        assert.deepEqual(run('vtd', { addr_lo: 0xfee0_0010, data: 0, ir: { enabled: false } }), { result: 'passthrough', msi: { error: 'REMAPPABLE_FORMAT' } });
    });

    test('pci: error names for the rules the README leaves open', () => {
        assert.deepEqual(run('pci', { op: 'msi_vector', mmc: 2, mme: 3, k: 0, data: 0 }), { error: 'MME_EXCEEDS_MMC' });
        assert.deepEqual(run('pci', { op: 'msi_vector', mmc: 6, mme: 0, k: 0, data: 0 }), { error: 'MMC_RESERVED' });
        assert.deepEqual(run('pci', { op: 'msi_vector', mmc: 2, mme: 1, k: 2, data: 0 }), { error: 'VECTOR_OUT_OF_RANGE' });
        assert.deepEqual(run('pci', { op: 'msi_vector', mmc: 0, mme: 0, k: 0, data: 0, is_64bit: false, addr_hi: 1 }), { error: 'ADDR_HI_WITHOUT_64BIT' });
        assert.deepEqual(run('pci', { op: 'msix_entry', qsize: 2048, k: 0 }), { error: 'QSIZE_OUT_OF_RANGE' });
        assert.deepEqual(run('pci', { op: 'msix_entry', qsize: 3, k: 4 }), { error: 'ENTRY_OUT_OF_RANGE' });
        assert.deepEqual(run('pci', { op: 'msix_write', entry_masked: false, function_masked: false, msix_enabled: true, field: 'addr_lo' }), { error: 'MODIFY_UNMASKED_ENTRY_UNDEFINED' });
        assert.deepEqual(run('pci', { op: 'msix_fire', entry_masked: true, function_masked: false, msix_enabled: true }), { delivered: false, pending: true, reason: 'entry_masked' });
        assert.deepEqual(run('pci', { op: 'msix_fire', entry_masked: false, function_masked: false, msix_enabled: true }), { delivered: true, pending: false });
        assert.deepEqual(run('pci', { op: 'msix_fire', entry_masked: false, function_masked: false, msix_enabled: false }), { delivered: false, pending: false, reason: 'msix_disabled' });
    });

    test('its and imsic: the remaining error shapes', () => {
        const its = { enabled: true, dt_entries: 4, ct_entries: 2, num_cpus: 1, idbits: 16, dt: { '0': { valid: true, size: 0, itt: { '0': { valid: true, intid: 8192, icid: 1 }, '1': { valid: true, intid: 8193, icid: 3 } } } }, ct: { '1': { valid: true, rdbase: 1 } } };
        assert.deepEqual(run('its', { its, requester_id: 0, data: 0 }), { error: 'RDBASE_OUT_OF_RANGE' });
        assert.deepEqual(run('its', { its, requester_id: 0, data: 1 }), { error: 'ICID_OUT_OF_RANGE' });
        assert.deepEqual(run('its', { its, requester_id: 9, data: 0 }), { error: 'DEVID_OUT_OF_RANGE' });
        const files = [{ hart: 2, file: 'M', base: 0x2400_0000, num_ids: 64 }];
        assert.deepEqual(run('imsic', { addr: 0x2400_0004, data: 1, files }), { error: 'NOT_SETEIPNUM_LE', hart: 2 });
        assert.deepEqual(run('imsic', { addr: 0x2400_0000, data: 64, files }), { error: 'IDENTITY_IGNORED', hart: 2 });
    });

    test('spapr: current model out of the ICS', () => {
        assert.deepEqual(run('spapr', { model: 'current', msi_win_addr: 0x400_0000_0000, ics_offset: 4096, nr_irqs: 4096, addr: 0x400_0000_0000, data: 100 }), { error: 'IRQ_OUT_OF_ICS', irq: 100 });
    });
});
