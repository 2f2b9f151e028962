/**
 * RISC-V AIA IMSIC: which interrupt file an MSI write lands in, and the identity it sets. Pure function.
 *
 * ROUTING.md §9; qemu hw/intc/riscv_imsic.c riscv_imsic_write: every file is a 4 KiB page selected by the
 * address; only seteipnum_le at page offset 0 is handled (other offsets, including the big-endian
 * register at 4, are ignored); identity 0 and identities ≥ the file's number of identities are ignored.
 */

export const IMSIC_PAGE_SIZE = 0x1000n;

export interface ImsicFile {
    hart: number;
    /** 'M', 'S', or a guest file name. */
    file: string;
    base: bigint;
    numIds: number;
}

export type ImsicResult =
    | { ok: true; hart: number; file: string; identity: number }
    | { ok: false; error: 'NO_INTERRUPT_FILE' }
    | { ok: false; error: 'NOT_SETEIPNUM_LE' | 'IDENTITY_IGNORED'; hart: number; file: string };

export function imsicDecode(files: readonly ImsicFile[], addr: bigint, data: number): ImsicResult {
    const f = files.find((x) => addr >= x.base && addr - x.base < IMSIC_PAGE_SIZE);
    if (!f) return { ok: false, error: 'NO_INTERRUPT_FILE' };
    if (addr !== f.base) return { ok: false, error: 'NOT_SETEIPNUM_LE', hart: f.hart, file: f.file };
    const identity = data >>> 0;
    if (identity === 0 || identity >= f.numIds) return { ok: false, error: 'IDENTITY_IGNORED', hart: f.hart, file: f.file };
    return { ok: true, hart: f.hart, file: f.file, identity };
}
