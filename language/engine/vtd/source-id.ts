/**
 * VT-d source-id validation and the requester id a device's MSI writes carry.
 *
 * Validation (SVT/SQ/SID): ROUTING.md §2.5 and §2.6 step 9; qemu hw/i386/intel_iommu.c vtd_irte_get
 * (vtd_svt_mask, VTD_SVT_BUS with the swapped bus range, §10.1), Linux drivers/iommu/intel/irq_remapping.c.
 * Requester id through bridges: model.ts BridgeKind; QEMU pci_req_id_cache_get (a PCIe-to-PCI bridge owns
 * the request with its secondary bus and devfn 0, a legacy PCI bridge with its own BDF; the topmost
 * aliasing bridge wins). What Linux programs (set_msi_sid): SVT=01 SQ=0 own BDF for PCIe devices; SVT=10
 * with SID = (alias bus << 8) | device bus behind a PCIe-to-PCI bridge; SVT=01 with the bridge's BDF behind
 * a legacy PCI bridge.
 */
import type { Bdf, Bridge, Device, Machine, Profile } from '../model.js';
import { parseHexBig } from '../bits.js';
import { indexMachine } from '../machine-index.js';
import { SQ_MASKS, busRangeSid, formatRid, ridOf } from './irte.js';

/** No requester id on the request (QEMU: MemTxAttrs unspecified, sid 0xFFFF): validation is skipped. */
export const NO_SID = -1;

export type SidCheck = 'ok' | 'skipped' | 'mismatch' | 'bus-out-of-range' | 'svt-reserved';

/**
 * Step 9 of §2.6. Reserved SVT=11 is reported as 'svt-reserved'; the caller decides which fault that is
 * (spec: it was already caught as 0x24 by the reserved-bit check; QEMU: 0x26).
 */
export function checkSourceId(svt: number, sq: number, sidField: number, requesterId: number, profile: Profile): SidCheck {
    if (requesterId === NO_SID) return 'skipped';
    switch (svt) {
        case 0:
            return 'ok';
        case 1: {
            const mask = SQ_MASKS[sq & 3];
            return (sidField & mask) === (requesterId & mask) ? 'ok' : 'mismatch';
        }
        case 2: {
            const bus = requesterId >>> 8;
            // Spec and Linux: SID[15:8] = start bus, SID[7:0] = end bus. QEMU reads them the other way
            // round (ROUTING.md §10.1).
            const lo = profile === 'qemu' ? sidField & 0xff : sidField >>> 8;
            const hi = profile === 'qemu' ? sidField >>> 8 : sidField & 0xff;
            return bus >= lo && bus <= hi ? 'ok' : 'bus-out-of-range';
        }
        default:
            return 'svt-reserved';
    }
}

export interface RequesterIdInfo {
    /** The requester id the IOMMU sees. */
    rid: number;
    /** How it was derived. */
    kind: 'own' | 'pcie-to-pci' | 'pci-to-pci';
    /** The bridge that determines it (topmost aliasing bridge), when not the device's own. */
    bridge?: Bridge;
    /** Every bridge between the device and the root, nearest first. */
    chain: Bridge[];
}

/** The bus number of a bus element, or the BDF's bus when the element is missing. */
function busNumber(machine: Machine, busId: string, fallback: number): number {
    return indexMachine(machine).buses.get(busId)?.number ?? fallback;
}

interface RidCacheEntry {
    bus: string;
    rid: number;
    info: RequesterIdInfo;
}

/**
 * Per machine index (rebuilt whenever the structure changes) and device object: the derived requester id.
 * Revalidated against the device's bus and BDF, so an edit in place is seen.
 */
const ridCache = new WeakMap<object, WeakMap<object, RidCacheEntry>>();

/** The requester id of a device's upstream writes as the IOMMU sees them, through the bridges above. */
export function requesterIdOf(machine: Machine, device: Pick<Device, 'bdf' | 'bus'>): RequesterIdInfo {
    const idx = indexMachine(machine);
    let perDevice = ridCache.get(idx);
    if (!perDevice) ridCache.set(idx, (perDevice = new WeakMap()));
    const hit = perDevice.get(device);
    const own = ridOf(device.bdf);
    if (hit && hit.bus === device.bus && hit.rid === own) return hit.info;
    const info = deriveRequesterId(machine, device);
    perDevice.set(device, { bus: device.bus, rid: own, info });
    return info;
}

function deriveRequesterId(machine: Machine, device: Pick<Device, 'bdf' | 'bus'>): RequesterIdInfo {
    const chain = indexMachine(machine).bridgesAbove(device.bus);
    let rid = ridOf(device.bdf);
    let kind: RequesterIdInfo['kind'] = 'own';
    let bridge: Bridge | undefined;
    // Walk up: each aliasing bridge rewrites the id of everything below it, so the topmost one wins.
    for (const br of chain) {
        if (br.kind === 'pcie-to-pci') {
            rid = (busNumber(machine, br.secondary, 0) & 0xff) << 8;
            kind = 'pcie-to-pci';
            bridge = br;
        } else if (br.kind === 'pci-to-pci') {
            rid = ridOf(br.bdf);
            kind = 'pci-to-pci';
            bridge = br;
        }
    }
    const out: RequesterIdInfo = { rid, kind, chain };
    if (bridge) out.bridge = bridge;
    return out;
}

export interface ExpectedSource {
    svt: number;
    sq: number;
    sid: number;
    /** Human explanation ('behind PCIe-to-PCI bridge pcie2pci (00:1e.0): bus range 01..02'). */
    reason: string;
    bridge?: Bridge;
}

/** What Linux's set_msi_sid would program for this device (the SID/SQ/SVT an IRTE should hold). */
export function expectedIrteSource(machine: Machine, device: Pick<Device, 'bdf' | 'bus'>): ExpectedSource {
    const info = requesterIdOf(machine, device);
    const devBus = busNumber(machine, device.bus, device.bdf.bus) & 0xff;
    if (info.kind === 'pcie-to-pci' && info.bridge) {
        const start = info.rid >>> 8;
        return {
            svt: 2,
            sq: 0,
            sid: busRangeSid({ start, end: devBus }),
            reason: `behind PCIe-to-PCI bridge ${info.bridge.name} (${formatBdf(info.bridge.bdf)}): requests carry ${formatRid(info.rid)}, so only the bus range ${hex2(start)}..${hex2(devBus)} can be verified`,
            bridge: info.bridge,
        };
    }
    if (info.kind === 'pci-to-pci' && info.bridge) {
        return {
            svt: 1,
            sq: 0,
            sid: info.rid,
            reason: `behind PCI bridge ${info.bridge.name}: requests carry the bridge's id ${formatRid(info.rid)}`,
            bridge: info.bridge,
        };
    }
    return { svt: 1, sq: 0, sid: info.rid, reason: `requests carry the device's own id ${formatRid(info.rid)}` };
}

function hex2(n: number): string {
    return n.toString(16).padStart(2, '0');
}

/** `[ssss:]bb:dd.f` (segment only when non-zero). */
export function formatBdf(bdf: Bdf): string {
    const base = `${hex2(bdf.bus)}:${hex2(bdf.device)}.${bdf.fn}`;
    return bdf.segment ? `${bdf.segment.toString(16).padStart(4, '0')}:${base}` : base;
}

/** Parses `bb:dd.f` or `ssss:bb:dd.f` (hex). Throws SyntaxError. */
export function parseBdf(s: string): Bdf {
    const m = /^(?:([0-9a-f]{1,4}):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-7])$/i.exec(s.trim());
    if (!m) throw new SyntaxError(`not a BDF (bb:dd.f): '${s}'`);
    const bdf = { segment: m[1] ? Number(parseHexBig(m[1])) : 0, bus: Number(parseHexBig(m[2])), device: Number(parseHexBig(m[3])), fn: Number(m[4]) };
    if (bdf.device > 0x1f) throw new SyntaxError(`device number above 0x1f in '${s}'`);
    return bdf;
}
