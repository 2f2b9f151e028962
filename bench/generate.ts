/**
 * Generator of large, realistic, valid `.irq` topologies for the benchmark: a file of many q35 guests,
 * each with x2APIC CPUs, an Intel IOMMU (VT-d, interrupt remapping in extended interrupt mode, posted
 * interrupts), a root bus with virtio devices, PCIe root ports with assigned devices behind them (MSI-X
 * tables, one IRTE per vector, some posted, some raw as dumped from a live table), a PCIe-to-PCI bridge
 * with a legacy card (bus-range source validation), multi-message MSI with subhandles, and KVM irqfds.
 *
 * "Valid" means what a user's clean file means: no error, warning, info or hint diagnostics (every IRTE is
 * used, every source is delivered or posted). Raw IRTEs are encoded by the engine (encodeIrte), not here.
 *
 *     node out/bench/generate.js [LINES...]      # default: 10000 100000 → bench/generated/topology-<N>.irq
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeIrte, hexGrouped } from '../language/engine/index.js';

/** Two levels up from out/bench/generate.js (or out-cli/bench/generate.js). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const GENERATED_DIR = join(REPO_ROOT, 'bench', 'generated');

/** Per-guest shape; a guest is about a thousand lines. */
const CPUS = 288;
const ROOT_PORTS = 24;
const VECTORS_PER_ASSIGNED = 16;
const NIC_QUEUES = 8;
const NVME_VECTORS = 4;
const KVM_IRQFDS = 4;

/**
 * A remappable-format MSI address (VT-d, Linux fill_msi_msg): 0xFEE, handle[14:0] in bits 19:5, bit 4 = 1,
 * SHV in bit 3, handle[15] in bit 2. Only the generator writes addresses; the engine reads them.
 */
function remappableAddress(handle: number, shv = false): bigint {
    return BigInt((0xfee0_0000 | ((handle & 0x7fff) << 5) | 0x10 | (shv ? 0x08 : 0) | (((handle >>> 15) & 1) << 2)) >>> 0);
}

function hex2(n: number): string {
    return n.toString(16).padStart(2, '0');
}

/** Deterministic vector choice: 0x30..0xEF, avoiding the reserved low vectors. */
function vectorOf(n: number): string {
    return `0x${(0x30 + (n % 0xc0)).toString(16)}`;
}

class Guest {
    private readonly irtes: string[] = [];
    private handle = 0;

    constructor(
        private readonly name: string,
        private readonly seq: number,
    ) {}

    /** The APIC ID of the n-th vector's destination: spread over all CPUs as irqbalance would. */
    private dest(n: number): number {
        return (n * 37 + this.seq * 11) % CPUS;
    }

    /** One IRTE for a requester; returns its handle. Every 7th is raw, every 13th posted. */
    private irte(sid: string, sidNumber: number): number {
        const h = this.handle++;
        const vector = vectorOf(h + this.seq);
        const dest = this.dest(h);
        if (h % 13 === 12) {
            const pda = 0x7f3c_0000n + BigInt(h) * 0x40n;
            this.irtes.push(`    irte ${h} { posted vector ${vector} descriptor ${hexGrouped(pda, 8)}${h % 2 ? ' urgent' : ''} sid ${sid} }`);
        } else if (h % 7 === 6) {
            const { lo, hi } = encodeIrte({ vector: Number(vector), dest, sid: sidNumber }, { eim: true });
            this.irtes.push(`    irte ${h} raw ${hexGrouped(lo, 16)} ${hexGrouped(hi, 16)}`);
        } else {
            this.irtes.push(`    irte ${h} { vector ${vector} dest ${dest} fixed edge physical sid ${sid} }`);
        }
        return h;
    }

    private msixDevice(indent: string, name: string, bus: number, dev: number, model: string, vectors: number): string[] {
        const bdf = `${hex2(bus)}:${hex2(dev)}.0`;
        const rid = (bus << 8) | (dev << 3);
        const out = [`${indent}device ${name} ${bdf} ${model} {`, `${indent}  msix table ${vectors} {`];
        for (let k = 0; k < vectors; k++) {
            const h = this.irte(bdf, rid);
            out.push(`${indent}    entry ${k} address ${hexGrouped(remappableAddress(h))} data 0x0000      // handle ${h}`);
        }
        out.push(`${indent}  }`, `${indent}}`);
        return out;
    }

    lines(): string[] {
        const body: string[] = [];
        // Root bus: a virtio-net with one vector per queue, an NVMe with multi-message MSI (SHV=1: one handle,
        // the device adds the vector number to the data → IRTE handle + k), root ports and a PCIe-to-PCI bridge.
        body.push('  bus pci0 number 0x00 behind dmar0 {');
        const nicBase = this.handle;
        body.push(...this.msixDevice('    ', 'nic', 0, 3, 'virtio-net', NIC_QUEUES));
        const nvmeBase = this.handle;
        for (let k = 0; k < NVME_VECTORS; k++) this.irte('00:04.0', 0x20);
        body.push(`    device nvme 00:04.0 "QEMU NVM Express" {`);
        body.push(`      msi vectors ${NVME_VECTORS} capable 32 64bit per-vector-mask address ${hexGrouped(remappableAddress(nvmeBase, true))} data 0x0000`);
        body.push('    }');
        for (let p = 1; p <= ROOT_PORTS; p++) {
            const slot = 0x10 + Math.floor((p - 1) / 8);
            body.push(`    bridge rp${p} 00:${hex2(slot)}.${(p - 1) % 8} pcie-root-port to pci${p}`);
        }
        const legacyBus = ROOT_PORTS + 1;
        body.push(`    bridge pcibr0 00:1e.0 pcie-to-pci to pci${legacyBus}`);
        body.push('  }');
        body.push('');
        // One assigned device behind each root port.
        for (let p = 1; p <= ROOT_PORTS; p++) {
            body.push(`  bus pci${p} number 0x${hex2(p)} {`);
            body.push(...this.msixDevice('    ', `vf${p}`, p, 0, 'vfio-pci', VECTORS_PER_ASSIGNED));
            body.push('  }');
        }
        // A conventional PCI card: requests arrive with the bridge's secondary bus, so a bus-range check.
        const serial = this.handle++;
        this.irtes.push(`    irte ${serial} { vector ${vectorOf(serial + this.seq)} dest ${this.dest(serial)} fixed edge physical sid bus 0x${hex2(legacyBus)}..0x${hex2(legacyBus)} svt bus-range }`);
        body.push(`  bus pci${legacyBus} number 0x${hex2(legacyBus)} {`);
        body.push(`    device serial ${hex2(legacyBus)}:01.0 "legacy PCI UART" {`);
        body.push(`      msi vectors 1 address ${hexGrouped(remappableAddress(serial))} data 0x0000`);
        body.push('    }');
        body.push('  }');
        body.push('');
        body.push('  kvm {', '    x2apic-api on');
        // QEMU allocates one MSI route per vector (kvm_irqchip_add_msi_route) and binds the queue's eventfd to it.
        for (let q = 0; q < KVM_IRQFDS; q++) {
            body.push(`    route gsi ${24 + q} msi address ${hexGrouped(remappableAddress(nicBase + q))} data 0x0000`);
            body.push(`    irqfd nic.msix[${q}] gsi ${24 + q}`);
        }
        body.push('  }');

        const entries = 2 ** Math.ceil(Math.log2(Math.max(2, this.handle)));
        return [
            `// Guest ${this.seq}: q35, ${CPUS} vCPUs in x2APIC mode, VT-d with interrupt remapping (EIM), ${ROOT_PORTS} assigned devices.`,
            `machine ${this.name} {`,
            '  arch x86_64',
            '  apic x2apic',
            `  cpus 0..${CPUS - 1}`,
            '',
            '  iommu dmar0 vtd {',
            '    remapping on',
            '    eim on',
            '    cfi off',
            '    posted on',
            `    table size ${entries}`,
            ...this.irtes,
            '  }',
            '',
            ...body,
            '}',
            '',
        ];
    }
}

/** A topology of at least `targetLines` lines: as many guests as it takes. */
export function generateTopology(targetLines: number): string {
    const out: string[] = [`// Generated by bench/generate.ts: about ${targetLines} lines of q35 guests with VT-d. Do not edit.`, ''];
    for (let g = 0; out.length < targetLines; g++) out.push(...new Guest(`guest${g}`, g).lines());
    return out.join('\n');
}

export function generatedPath(lines: number): string {
    return join(GENERATED_DIR, `topology-${lines}.irq`);
}

/** Writes bench/generated/topology-<N>.irq and returns its path. */
export function writeTopology(lines: number): string {
    const path = generatedPath(lines);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, generateTopology(lines));
    return path;
}

// Run directly: generate the requested sizes.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
    const sizes = process.argv.slice(2).map(Number);
    for (const n of sizes.length ? sizes : [10_000, 100_000]) {
        const path = writeTopology(n);
        console.log(`${path}: ${generateTopology(n).split('\n').length} lines`);
    }
}
