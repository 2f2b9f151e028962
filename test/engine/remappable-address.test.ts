import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { remappableAddress, remappableHandle } from '../../language/engine/vtd/remap.js';

describe('remappableAddress', () => {
    test('composes the remappable-format address of a handle (format bit, SHV, handle[15] in bit 2)', () => {
        assert.equal(remappableAddress(0), 0xfee0_0010);
        assert.equal(remappableAddress(6), 0xfee0_00d0);
        assert.equal(remappableAddress(4, 1), 0xfee0_0098);
        assert.equal(remappableAddress(0x8000), 0xfee0_0014);
    });

    test('is the inverse of remappableHandle', () => {
        for (const h of [0, 1, 2, 31, 32, 0x7fff, 0x8000, 0xffff]) assert.equal(remappableHandle(remappableAddress(h)), h);
    });
});
