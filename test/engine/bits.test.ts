import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { byteSwap32, byteSwap64, compressIndices, hex, hex64, hexGrouped, leBytes, parseHexBig, toBig } from '../../language/engine/index.js';

describe('bit helpers', () => {
    test('hex parsing keeps every bit of 64- and 128-bit values', () => {
        assert.equal(parseHexBig('0xffff_ffff_ffff_ffff'), 0xffff_ffff_ffff_ffffn);
        assert.equal(parseHexBig('0x0000_0003_0041_0001'), 0x3_0041_0001n);
        assert.equal(parseHexBig('FEE00010'), 0xfee0_0010n);
        assert.equal(parseHexBig('0x1' + '0'.repeat(31)), 1n << 124n);
        assert.throws(() => parseHexBig('0xfeg'), /not a hex number/);
        assert.equal(toBig('0x8000000000000000'), 1n << 63n);
        assert.equal(toBig(4276092944), 0xfee0_0010n);
        assert.throws(() => toBig(2 ** 60), /safe integer/);
    });

    test('formatting', () => {
        assert.equal(hex(0x41), '0x41');
        assert.equal(hex(0xffff_ffff), '0xffffffff');
        assert.equal(hex64(0x7f3c_0040n), '0x000000007f3c0040');
        assert.equal(hexGrouped(0xfee0_0010), '0xfee0_0010');
        assert.equal(hexGrouped(0x1_fee0_0010n, 16), '0x0000_0001_fee0_0010');
    });

    test('byte order', () => {
        assert.equal(byteSwap32(0xfee0_0010), 0x1000_e0fe);
        assert.equal(byteSwap64(0x0000_0000_fee0_0010n), 0x1000_e0fe_0000_0000n);
        assert.deepEqual(leBytes(0xfee0_0010, 4), ['10', '00', 'e0', 'fe']);
        assert.deepEqual(leBytes(0x1_0000_0000n, 8), ['00', '00', '00', '00', '01', '00', '00', '00']);
    });

    test('CPU index lists', () => {
        assert.equal(compressIndices([1, 0]), '0,1');
        assert.equal(compressIndices([0, 1, 2, 3, 8]), '0-3,8');
        assert.equal(compressIndices([5, 5, 7]), '5,7');
    });
});
