/**
 * Generates a large, valid `.irq` file for measurements: one machine with `buses` buses, each with a bridge
 * to the next bus and `devicesPerBus` devices with a 2-entry MSI-X table, an IOMMU with one IRTE per
 * MSI-X entry, and one irqfd per device (so every kind of cross-reference is exercised).
 */
export function generateLargeIrq(buses: number, devicesPerBus = 4): string {
    const lines: string[] = [];
    lines.push('machine big {', '  apic x2apic', '  cpus 0..63', '  iommu dmar0 vtd {', '    table size 65536');
    let handle = 0;
    for (let b = 0; b < buses; b++) {
        for (let d = 0; d < devicesPerBus * 2; d++) {
            lines.push(`    irte ${handle} { vector 0x${(0x30 + (handle % 0xc0)).toString(16)} dest ${handle % 64} fixed edge physical sid ${hex2(b % 256)}:${hex2(d >> 1)}.0 }`);
            handle = (handle + 1) % 65536;
        }
    }
    lines.push('  }');
    handle = 0;
    for (let b = 0; b < buses; b++) {
        const behind = b === 0 ? ' behind dmar0' : '';
        lines.push(`  bus pci${b} number 0x${hex2(b % 256)} segment ${Math.floor(b / 256)}${behind} {`);
        for (let d = 0; d < devicesPerBus; d++) {
            lines.push(`    device dev${b}_${d} ${hex2(b % 256)}:${hex2(d)}.0 virtio-net {`);
            lines.push('      msix table 2 {');
            for (let e = 0; e < 2; e++) {
                const address = (0xfee0_0010 | ((handle & 0x7fff) << 5)) >>> 0;
                lines.push(`        entry ${e} address 0x${address.toString(16)} data 0x0000`);
                handle = (handle + 1) % 65536;
            }
            lines.push('      }', '    }');
        }
        if (b + 1 < buses) lines.push(`    bridge br${b} ${hex2(b % 256)}:1f.0 pcie-root-port to pci${b + 1}`);
        lines.push('  }');
    }
    lines.push('  kvm {');
    for (let b = 0; b < buses; b++) {
        for (let d = 0; d < devicesPerBus; d++) lines.push(`    irqfd dev${b}_${d}.msix[${d % 2}] gsi ${b * devicesPerBus + d}`);
    }
    lines.push('  }', '}');
    return lines.join('\n') + '\n';
}

function hex2(v: number): string {
    return v.toString(16).padStart(2, '0');
}
