/**
 * Codes of the diagnostics the language layer raises itself (the engine's findings carry their own codes,
 * and Langium's lexer / parser / linker errors theirs). Stable: quick fixes and the README's diagnostic
 * table refer to them.
 */
export const IrqCodes = {
    /** A literal needs more bits than its field has (a 70-bit number anywhere, an 9-bit vector …). */
    LiteralTooWide: 'literal-too-wide',
    /** A NUMBER with no digits (`0x_`). */
    MalformedNumber: 'malformed-number',
    /** Two machines / IOMMUs / buses / devices / bridges / PHBs / scenarios with one name. */
    DuplicateName: 'duplicate-name',
    /** A setting given twice in one statement or block (`eim on … eim off`, two `apic` lines). */
    DuplicateSetting: 'duplicate-setting',
    /** `cpu N` twice, or overlapping `cpus` ranges. */
    DuplicateCpu: 'duplicate-cpu',
    /** `irte N` twice in one IOMMU. */
    DuplicateIrte: 'duplicate-irte',
    /** `entry N` twice in one MSI-X table or IMS store; `source N` twice in one XICS. */
    DuplicateEntry: 'duplicate-entry',
    /** Two devices / bridges at one BDF. */
    DuplicateBdf: 'duplicate-bdf',
    /** Device number above 0x1f or function above 7. */
    BdfInvalid: 'bdf-invalid',
    /** A BDF whose bus (or segment) is not the number of the bus it is declared on. */
    BdfBusMismatch: 'bdf-bus-mismatch',
    /** `cpus a..b` with a > b. */
    CpuRangeEmpty: 'cpu-range-empty',
    /** `cpus a..b` with more CPUs than KVM supports. */
    CpuRangeTooLarge: 'cpu-range-too-large',
    /** VT-d `table size` that is not a power of two in 2..65536. */
    IrteTableSize: 'irte-table-size',
    /** MSI `vectors` / `capable` not a power of two in 1..32 (the same code as the engine's MME > MMC check). */
    MsiVectorCount: 'msi-vector-count',
    /** An MSI address above 4 GiB in a capability without `64bit` (no Message Upper Address register). */
    MsiAddressNeeds64Bit: 'msi-address-needs-64bit',
    /**
     * A required field is missing (IRTE vector / dest / descriptor, MSI address / data, entry address / data,
     * KVM route / signal address / data / pin, PHB MSI window, the MSI-X layout of a VFIO device).
     */
    MissingField: 'missing-field',
    /** A field of the other IRTE format (`dest` in a posted IRTE, `urgent` in a remapped one). */
    FieldNotInFormat: 'field-not-in-format',
    /** `sid bus a..b` with a > b: no requester bus can match. */
    SidBusRangeEmpty: 'sid-bus-range-empty',
    /** A field-form IRTE the encoder cannot write (e.g. a destination above 0xFF_FFFF without EIM). */
    IrteNotEncodable: 'irte-not-encodable',
    /** A bridge chain that loops back to a bus above it, or a bus that is the secondary of two bridges. */
    BridgeTopology: 'bridge-topology',
    /**
     * A value its field admits by width but not by meaning: a reserved BIR, a page size that is not a power
     * of two, an irqchip pin the chip does not have, an empty XICS range, a zero route limit or window.
     */
    InvalidValue: 'invalid-value',
    /**
     * A statement of the other architecture, which the engine ignores: PHB / XICS / `irq base` / `bus … on`
     * in a machine that is not ppc64, a VT-d IOMMU in a ppc64 one.
     */
    ArchMismatch: 'arch-mismatch',
} as const;

export type IrqCode = (typeof IrqCodes)[keyof typeof IrqCodes];
