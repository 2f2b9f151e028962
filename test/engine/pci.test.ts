import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
    msiLog2OfCount,
    msiMessageControlFields,
    msiVectorData,
    msiVectorRule,
    msixEntryFields,
    msixEntryLocation,
    msixFireRule,
    msixMessageControlFields,
    msixWriteRule,
    pbaWhere,
} from '../../language/engine/index.js';

describe('MSI multiple message', () => {
    test('vector k replaces the low MME bits of the base data', () => {
        assert.equal(msiVectorData(0x4060, 3, 5), 0x4065);
        assert.equal(msiVectorData(0x4063, 3, 5), 0x4065);
        assert.equal(msiVectorData(0x4063, 0, 0), 0x4063);
        assert.deepEqual(msiVectorRule({ mmc: 3, mme: 3, k: 5, data: 0x4063 }), { ok: true, nvec: 8, data: 0x4065, warning: 'BASE_DATA_LOW_BITS_NOT_ZERO' });
        assert.deepEqual(msiVectorRule({ mmc: 5, mme: 5, k: 31, data: 0x40 }), { ok: true, nvec: 32, data: 0x5f });
    });

    test('errors', () => {
        assert.deepEqual(msiVectorRule({ mmc: 6, mme: 0, k: 0, data: 0 }), { ok: false, error: 'MMC_RESERVED' });
        assert.deepEqual(msiVectorRule({ mmc: 2, mme: 3, k: 0, data: 0 }), { ok: false, error: 'MME_EXCEEDS_MMC' });
        assert.deepEqual(msiVectorRule({ mmc: 3, mme: 2, k: 4, data: 0 }), { ok: false, error: 'VECTOR_OUT_OF_RANGE' });
        assert.deepEqual(msiVectorRule({ mmc: 0, mme: 0, k: 0, data: 0, is64bit: false, addrHi: 1 }), { ok: false, error: 'ADDR_HI_WITHOUT_64BIT' });
        assert.deepEqual(msiVectorRule({ mmc: 0, mme: 0, k: 0, data: 0x41, is64bit: true, addrHi: 1 }), { ok: true, nvec: 1, data: 0x41 });
    });

    test('vector counts as the language writes them', () => {
        assert.deepEqual(msiLog2OfCount(8), { ok: true, log2: 3 });
        assert.deepEqual(msiLog2OfCount(1), { ok: true, log2: 0 });
        assert.deepEqual(msiLog2OfCount(3), { ok: false, message: 'an MSI vector count must be a power of two (1, 2, 4, 8, 16 or 32), got 3; use 4' });
        assert.deepEqual(msiLog2OfCount(64), { ok: false, message: 'MSI supports at most 32 vectors, got 64; use MSI-X for more' });
        assert.equal(msiLog2OfCount(0).ok, false);
    });
});

describe('MSI-X', () => {
    test('entry and PBA locations', () => {
        assert.deepEqual(msixEntryLocation(2047, 2047), { ok: true, tableSize: 2048, entryOffset: 32752, pbaQword: 31, pbaBit: 63 });
        assert.deepEqual(msixEntryLocation(127, 64), { ok: true, tableSize: 128, entryOffset: 1024, pbaQword: 1, pbaBit: 0 });
        assert.deepEqual(msixEntryLocation(2048, 0), { ok: false, error: 'QSIZE_OUT_OF_RANGE' });
        assert.deepEqual(msixEntryLocation(3, 4), { ok: false, error: 'ENTRY_OUT_OF_RANGE' });
        assert.equal(pbaWhere(130), 'PBA qword 2 bit 2');
    });

    test('writing address/data of an entry that can fire is undefined; vector control is always fine', () => {
        const live = { entryMasked: false, functionMasked: false, enabled: true };
        for (const f of ['addr_lo', 'addr_hi', 'data', 'address']) assert.deepEqual(msixWriteRule(live, f), { ok: false, error: 'MODIFY_UNMASKED_ENTRY_UNDEFINED' }, f);
        assert.deepEqual(msixWriteRule(live, 'vector_ctrl'), { ok: true });
        assert.deepEqual(msixWriteRule({ ...live, entryMasked: true }, 'data'), { ok: true });
        assert.deepEqual(msixWriteRule({ ...live, functionMasked: true }, 'data'), { ok: true });
        assert.deepEqual(msixWriteRule({ ...live, enabled: false }, 'data'), { ok: true });
    });

    test('firing: delivered, pending with the reason, or nothing at all when disabled', () => {
        assert.deepEqual(msixFireRule({ entryMasked: false, functionMasked: false, enabled: true }), { delivered: true, pending: false });
        assert.deepEqual(msixFireRule({ entryMasked: true, functionMasked: false, enabled: true }), { delivered: false, pending: true, reason: 'entry_masked' });
        assert.deepEqual(msixFireRule({ entryMasked: true, functionMasked: true, enabled: true }), { delivered: false, pending: true, reason: 'function_masked' });
        assert.deepEqual(msixFireRule({ entryMasked: true, functionMasked: true, enabled: false }), { delivered: false, pending: false, reason: 'msix_disabled' });
    });
});

describe('PCI capability field tables', () => {
    test('MSI Message Control', () => {
        assert.deepEqual(
            msiMessageControlFields({ enabled: true, mmc: 2, mme: 3, is64: true, perVectorMask: false }).map((f) => [f.name, f.bits, f.value, f.flagged ?? false]),
            [
                ['MSI Enable', '0', 1n, false],
                ['Multiple Message Capable', '3:1', 2n, false],
                ['Multiple Message Enable', '6:4', 3n, true],
                ['64 Bit Address Capable', '7', 1n, false],
                ['Per-Vector Masking Capable', '8', 0n, false],
            ],
        );
    });
    test('MSI-X Message Control and table entry', () => {
        assert.deepEqual(
            msixMessageControlFields({ tableSize: 64, functionMask: true, enabled: true }).map((f) => [f.name, f.bits, f.value]),
            [
                ['MSI-X Enable', '15', 1n],
                ['Function Mask', '14', 1n],
                ['Table Size', '10:0', 63n],
            ],
        );
        const e = msixEntryFields({ index: 65, address: 0x1_fee0_0010n, data: 0x41, masked: true });
        assert.deepEqual(
            e.map((f) => [f.bits, f.text]),
            [
                ['31:0', '0xfee00010'],
                ['63:32', '0x1'],
                ['95:64', '0x41'],
                ['96', '1'],
            ],
        );
        assert.equal(e[3].meaning, 'masked: a raised vector sets PBA qword 1 bit 1');
        assert.equal(e[0].meaning, 'table offset 0x410 (entry 65 × 16); bits 1:0 must be 0');
    });
});
