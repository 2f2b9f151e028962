/**
 * The VT-d remappable-format MSI request (address bit 4 = 1): handle, SHV and subhandle.
 *
 * ROUTING.md §2.1; qemu include/hw/i386/intel_iommu.h (VTD_IR_MSIAddress), Linux
 * drivers/iommu/intel/irq_remapping.c (fill_msi_msg: the handle split over addr[19:5] and addr[2]).
 */
import { bits32, field, hex } from '../bits.js';
import type { DecodedField } from '../trace.js';
import { remappableHandle } from './remap.js';

export interface RemappableRequest {
    handle: number;
    shv: 0 | 1;
    /** data[15:0] when SHV=1, else 0. */
    subhandle: number;
    /** handle + subhandle (may exceed 0xFFFF: the spec then faults 0x21, QEMU wraps). */
    index: number;
}

/** Address bit 4, Interrupt Format: 1 = remappable (VT-d §5.1.5.2), 0 = compatibility. */
export function isRemappableAddress(addrLo: number): boolean {
    return ((addrLo >>> 4) & 1) === 1;
}

export function decodeRemappableRequest(addrLo: number, data: number): RemappableRequest {
    const handle = remappableHandle(addrLo >>> 0);
    const shv = ((addrLo >>> 3) & 1) as 0 | 1;
    const subhandle = shv ? data & 0xffff : 0;
    return { handle, shv, subhandle, index: handle + subhandle };
}

/** Address fields of a remappable-format request. */
export function remappableAddressFields(addrLo: number, addrHi: number): DecodedField[] {
    addrLo >>>= 0;
    const base = addrLo >>> 20;
    const handle = remappableHandle(addrLo);
    const out: DecodedField[] = [
        field('base', 31, 20, base, hex(base), base === 0xfee ? 'interrupt window' : 'not 0xFEE: fault 0x20 under remapping', base !== 0xfee),
        field('Handle[14:0]', 19, 5, bits32(addrLo, 19, 5), hex(bits32(addrLo, 19, 5)), `interrupt handle low bits (handle = ${hex(handle)})`),
        field('Interrupt Format', 4, 4, 1, '1', 'remappable format: the IRTE supplies vector and destination'),
        field('SHV', 3, 3, (addrLo >>> 3) & 1, String((addrLo >>> 3) & 1), addrLo & 8 ? 'subhandle valid: index = handle + data[15:0]' : 'no subhandle: index = handle, data ignored'),
        field('Handle[15]', 2, 2, (addrLo >>> 2) & 1, String((addrLo >>> 2) & 1), `handle bit 15 = ${(addrLo >>> 2) & 1}`),
        field('ignored', 1, 0, addrLo & 3, String(addrLo & 3), "don't care (QEMU copies them into the output message)"),
    ];
    if (addrHi >>> 0 !== 0) {
        out.push(field('address_hi', 63, 32, addrHi >>> 0, hex(addrHi >>> 0), 'must be 0: fault 0x20 (IR_REQ_RSVD) under remapping', true));
    }
    return out;
}

/** Data fields of a remappable-format request. */
export function remappableDataFields(data: number, shv: 0 | 1): DecodedField[] {
    data >>>= 0;
    if (!shv) {
        return [field('ignored', 31, 0, data, hex(data), 'SHV=0: the data word is not used for remapping (IOAPIC-origin requests carry the RTE vector/trigger here)')];
    }
    return [
        field('reserved', 31, 16, data >>> 16, hex(data >>> 16), data >>> 16 ? 'must be 0 when SHV=1: fault 0x20 (IR_REQ_RSVD)' : 'reserved, 0', data >>> 16 !== 0),
        field('Subhandle', 15, 0, data & 0xffff, hex(data & 0xffff), 'added to the handle to form the interrupt index'),
    ];
}
