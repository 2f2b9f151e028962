/**
 * The starting points the "New topology from template" command offers. Each is a trimmed copy of one of
 * examples/ (same machine, fewer devices) so it is small enough to edit and still routes every vector it
 * declares: test/client/templates.test.ts loads each one with the language and requires zero errors.
 * Kept as strings, not read from examples/ at run time, so the command works without the files on disk.
 */
export interface TopologyTemplate {
    /** Shown in the quick pick. */
    label: string;
    description: string;
    text: string;
}

const q35 = `// A q35 guest with an emulated Intel IOMMU: VT-d interrupt remapping in extended interrupt mode (EIM)
// and x2APIC, as QEMU builds it for
//   -machine q35,kernel-irqchip=split -device intel-iommu,intremap=on,eim=on
// Derived from examples/q35-vtd-x2apic.irq.

machine q35 {
  arch x86_64
  apic x2apic
  cpus 0..7                           // cpu N gets APIC ID N

  iommu dmar0 vtd {
    remapping on
    eim on                            // IRTA.EIME: 32-bit destination IDs
    cfi off                           // compatibility-format interrupts are blocked
    table size 256                    // IRTA.S = 7

    // virtio-net: one IRTE per MSI-X vector
    irte 0 { vector 0x41 dest 3 fixed edge physical sid 00:03.0 }
    irte 1 { vector 0x42 dest 5 fixed edge physical sid 00:03.0 }
  }

  bus pci0 number 0x00 behind dmar0 {
    device nic 00:03.0 virtio-net {
      msix table 2 {
        entry 0 address 0xfee0_0010 data 0x0000          // handle 0 → IRTE 0
        entry 1 address 0xfee0_0030 data 0x0000          // handle 1 → IRTE 1
      }
    }
  }
}
`;

const workstation = `// A small workstation-like guest without an IOMMU: xAPIC mode with flat logical destinations,
// compatibility-format MSIs written by the guest kernel straight to the local APICs.
// Derived from examples/workstation-no-iommu.irq.

machine workstation {
  arch x86_64
  apic xapic flat
  cpus 0..7                           // APIC IDs 0..7, logical IDs 1 << N

  bus pci0 {
    // e1000e with MSI: physical destination APIC 2, vector 0x31.
    device eth0 00:02.0 e1000e {
      msi vectors 1 address 0xfee0_2000 data 0x0031
    }
    // xHCI with MSI-X: physical destinations.
    device xhci 00:04.0 qemu-xhci {
      msix table 2 {
        entry 0 address 0xfee0_1000 data 0x0036   // physical APIC 1
        entry 1 address 0xfee0_3000 data 0x0037   // physical APIC 3
      }
    }
  }
}
`;

const pseries = `// A pseries (ppc64) KVM guest: the guest asks firmware (RTAS ibm,change-msi) for interrupts, QEMU
// programs the MSI-X entries itself, and the PCI host bridge (PHB) turns a write back into a XICS IRQ.
// The \`irq base\` lines are what ibm,change-msi returned. Derived from examples/pseries-thread-001.irq.

machine pseries {
  arch ppc64
  cpus 0..3 server 0 step 8          // interrupt servers 0, 8, 16, 24
  xics sources 0x1000..0x1fff

  phb phb0 { model current msi window 0x1000_0000_0000 }

  bus pci0 on phb0 {
    device blk 00:01.0 virtio-blk {
      msix table 2
      irq base 0x1300 count 2
    }
    device net0 00:02.0 virtio-net {
      msix table 3
      irq base 0x1304 count 3 server 8
    }
  }

  // With direct GSI mapping the GSI is the XICS IRQ: no MSI route is allocated.
  kvm {
    irqfd net0.msix[1] gsi 0x1305
    irqfd net0.msix[2] gsi 0x1306
  }
}
`;

export const TOPOLOGY_TEMPLATES: readonly TopologyTemplate[] = [
    { label: 'q35 + VT-d + x2APIC', description: 'Intel IOMMU with interrupt remapping (EIM), remapped MSI-X', text: q35 },
    { label: 'Workstation without IOMMU', description: 'xAPIC, compatibility-format MSI and MSI-X', text: workstation },
    { label: 'pseries guest', description: 'ppc64, PHB MSI window, XICS, KVM irqfds', text: pseries },
];
