import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { imsicDecode, itsTranslate, spaprCurrentDecode, spaprLegacyDecode, type ItsState } from '../../language/engine/index.js';

describe('sPAPR PHB MSI', () => {
    const legacy = { msiWinAddr: 0x100_0000_0000n, msiTable: [{ irq: 0x1100, nvec: 4 }, { irq: 0, nvec: 0 }], icsOffset: 0x1000, nrIrqs: 0x1000 };
    test('legacy: window slot and data select the vector', () => {
        assert.deepEqual(spaprLegacyDecode(legacy, 0x100_0000_0008n, 1), { ok: true, irq: 0x1103, icsSource: 0x103, ndev: 0, vec: 3 });
        assert.deepEqual(spaprLegacyDecode(legacy, 0x100_0001_0000n, 0), { ok: false, error: 'MSI_NOT_CONFIGURED', ndev: 1 });
        assert.deepEqual(spaprLegacyDecode(legacy, 0x100_0002_0000n, 0), { ok: false, error: 'NDEV_OVERFLOW', ndev: 2 });
        assert.deepEqual(spaprLegacyDecode({ ...legacy, maxDevs: 1 }, 0x100_0001_0000n, 0), { ok: false, error: 'NDEV_OVERFLOW', ndev: 1 });
        assert.deepEqual(spaprLegacyDecode(legacy, 0xff_ffff_fffcn, 0), { ok: false, error: 'OUTSIDE_MSI_WINDOW' });
        assert.deepEqual(spaprLegacyDecode({ ...legacy, msiTable: [{ irq: 0x800, nvec: 4 }] }, 0x100_0000_0000n, 0), { ok: false, error: 'IRQ_OUT_OF_ICS', irq: 0x800 });
    });
    test('current: data is the global irq', () => {
        const cur = { msiWinAddr: 0x400_0000_0000n, icsOffset: 0x1000, nrIrqs: 0x1000, claimed: [0x1300] };
        assert.deepEqual(spaprCurrentDecode(cur, 0x400_0000_0000n, 0x1300), { ok: true, irq: 0x1300, icsSource: 0x300 });
        assert.deepEqual(spaprCurrentDecode(cur, 0x400_0000_1000n, 0x1300), { ok: false, error: 'OUTSIDE_MSI_WINDOW' });
        assert.deepEqual(spaprCurrentDecode(cur, 0x400_0000_0000n, 0x2000), { ok: false, error: 'IRQ_OUT_OF_ICS', irq: 0x2000 });
        assert.deepEqual(spaprCurrentDecode(cur, 0x400_0000_0000n, 0x1301), { ok: false, error: 'IRQ_NOT_CLAIMED', irq: 0x1301 });
    });
});

describe('GICv3 ITS', () => {
    const its: ItsState = {
        enabled: true,
        dtEntries: 4,
        ctEntries: 4,
        numCpus: 2,
        idbits: 15,
        dt: new Map([[1, { valid: true, size: 1, itt: new Map([[0, { valid: true, intid: 8192, icid: 0 }], [1, { valid: true, intid: 8193, icid: 2 }], [2, { valid: true, intid: 8194, icid: 4 }], [3, { valid: true, intid: 65536, icid: 0 }]]) }]]),
        ct: new Map([[0, { valid: true, rdbase: 1 }], [2, { valid: true, rdbase: 5 }]]),
    };
    test('every step of the translation', () => {
        assert.deepEqual(itsTranslate(its, 1, 0), { ok: true, intid: 8192, redistributor: 1, icid: 0 });
        assert.deepEqual(itsTranslate(its, 1, 1), { ok: false, error: 'RDBASE_OUT_OF_RANGE' });
        assert.deepEqual(itsTranslate(its, 1, 2), { ok: false, error: 'ICID_OUT_OF_RANGE' });
        assert.deepEqual(itsTranslate(its, 1, 3), { ok: false, error: 'INTID_NOT_LPI' }); // 65536 ≥ 2^16
        assert.deepEqual(itsTranslate(its, 1, 4), { ok: false, error: 'EVENTID_OUT_OF_RANGE' });
        assert.deepEqual(itsTranslate(its, 4, 0), { ok: false, error: 'DEVID_OUT_OF_RANGE' });
        assert.deepEqual(itsTranslate(its, 2, 0), { ok: false, error: 'DTE_INVALID' });
        assert.deepEqual(itsTranslate({ ...its, enabled: false }, 1, 0, 0x44), { ok: false, error: 'NOT_TRANSLATER' });
    });
});

describe('RISC-V IMSIC', () => {
    const files = [
        { hart: 0, file: 'S', base: 0x2800_0000n, numIds: 64 },
        { hart: 1, file: 'S', base: 0x2800_1000n, numIds: 64 },
    ];
    test('file, register and identity checks', () => {
        assert.deepEqual(imsicDecode(files, 0x2800_1000n, 63), { ok: true, hart: 1, file: 'S', identity: 63 });
        assert.deepEqual(imsicDecode(files, 0x2800_1004n, 5), { ok: false, error: 'NOT_SETEIPNUM_LE', hart: 1, file: 'S' });
        assert.deepEqual(imsicDecode(files, 0x2800_0000n, 64), { ok: false, error: 'IDENTITY_IGNORED', hart: 0, file: 'S' });
        assert.deepEqual(imsicDecode(files, 0x2800_0000n, 0), { ok: false, error: 'IDENTITY_IGNORED', hart: 0, file: 'S' });
        assert.deepEqual(imsicDecode(files, 0x2800_2000n, 1), { ok: false, error: 'NO_INTERRUPT_FILE' });
    });
});
