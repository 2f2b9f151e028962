/**
 * Checks the language owns: the shape of what was written (names, repeats, widths, encodable values,
 * required fields). Whether the topology routes is the engine's question, asked once per machine by
 * `RoutingCheck` (routing-check.ts); nothing here knows a routing rule.
 */
import { GrammarUtils, type AstNode, type CstNode, type ValidationAcceptor, type ValidationCheck, type ValidationChecks } from 'langium';
import type { DiagnosticRelatedInformation } from 'vscode-languageserver-types';
import type * as Ast from '../generated/ast.js';
import type { IrqTopologyAstType } from '../generated/ast.js';
import { parseBdf, formatBdf } from '../values/bdf.js';
import { irtaSizeRule, msiLog2OfCount } from '../engine-api.js';
import { vfioPageSizeProblem } from '../engine/pci/vfio.js';
import { MAX_CPUS_PER_RANGE, msiFromFirmware, vfioMissingFields } from '../lowering/lower-machine.js';
import { IrqCodes } from './diagnostic-codes.js';
import { checkLiteralWidths, LITERAL_REFERENCE_TYPES } from './literal-widths.js';
import { FIELD_WIDTHS } from '../values/field-widths.js';
import { containsSyntaxError } from '../analysis/syntax-errors.js';
import { propertyCstNode, propertyCstNodes } from '../values/cst-properties.js';

const findNodeForProperty = (cst: CstNode | undefined, property: string) => (cst ? propertyCstNode(cst.astNode, property) : undefined);

/** Settings written in free-order loops: each may appear once per node. */
const SINGLE_SETTINGS: Record<string, readonly string[]> = {
    Iommu: ['remapping', 'eim', 'cfi', 'posted', 'tableSize'],
    Irte: ['posted', 'vector', 'dest', 'deliveryMode', 'trigger', 'destMode', 'rh', 'fpd', 'notPresent', 'sid', 'sq', 'svt', 'descriptor', 'urgent', 'avail'],
    UpdateEvent: ['posted', 'vector', 'dest', 'deliveryMode', 'trigger', 'destMode', 'rh', 'fpd', 'notPresent', 'sid', 'sq', 'svt', 'descriptor', 'urgent', 'avail', 'present', 'postedOff', 'rhOff', 'fpdOff', 'urgentOff'],
    Device: ['msi', 'msix', 'ims', 'irq', 'vfio'],
    Msi: ['vectors', 'capable', 'is64', 'perVectorMask', 'address', 'data', 'masked', 'pending', 'disabled', 'latch'],
    Msix: ['functionMasked', 'disabled'],
    MessageEntry: ['address', 'data', 'masked', 'pending'],
    IrqAllocation: ['count', 'slot', 'server', 'priority'],
    Vfio: ['msixBar', 'tableOffset', 'pbaBar', 'pbaOffset', 'barSize', 'pageSize', 'access'],
    Phb: ['model', 'msiWindow', 'msiWindowSize', 'maxDevs'],
    Xics: ['server', 'priority'],
    XicsSource: ['server', 'priority'],
    Kvm: ['x2apicApi', 'extDestId', 'broadcastQuirk', 'gsiMapping', 'maxRoutes'],
    KvmRoute: ['address', 'data', 'devid'],
    KvmSignal: ['address', 'data', 'devid'],
    WriteEvent: ['address', 'data'],
};

/** How the messages name a written property. */
const SETTING_NAMES: Record<string, string> = {
    tableSize: 'table size', deliveryMode: 'delivery mode', trigger: 'trigger mode', destMode: 'destination mode',
    notPresent: 'not-present', is64: '64bit', perVectorMask: 'per-vector-mask', functionMasked: 'function-masked',
    x2apicApi: 'x2apic-api', extDestId: 'ext-dest-id', broadcastQuirk: 'broadcast-quirk',
    irq: 'irq base', msiWindow: 'msi window', msiWindowSize: 'size', maxDevs: 'max-devs', msixBar: 'msix-bar',
    tableOffset: 'table-offset', pbaBar: 'pba-bar', pbaOffset: 'pba-offset', barSize: 'bar-size', pageSize: 'page-size',
    access: 'mmap / shared-page', gsiMapping: 'gsi-mapping', maxRoutes: 'max-routes',
};

/** What a pseries-only statement is called in the messages. */
const PSERIES_ONLY: Record<string, string> = { Phb: 'phb', Xics: 'xics' };

/** KVM's irqchip pin counts: KVM_IOAPIC_NUM_PINS, and 8 per PIC (the master for GSIs 0-7, the slave 8-15). */
const IRQCHIP_PINS: Record<string, number> = { ioapic: 24, pic: 8 };

const REMAPPED_ONLY = ['dest', 'deliveryMode', 'trigger', 'destMode', 'rh'] as const;
const POSTED_ONLY = ['descriptor', 'urgent'] as const;

export class IrqValidator {
    /** Checks that need only the node itself (and, for names, its container): the `fast` category. */
    checks(): ValidationChecks<IrqTopologyAstType> {
        const checks: Record<string, ValidationCheck[]> = {};
        const add = (type: string, check: ValidationCheck) => (checks[type] ??= []).push(check);
        // Width and repeat checks only for the node types that have numbers / free-order settings (running
        // them on every node costs Langium's per-check overhead on tens of thousands of small nodes).
        for (const type of new Set([...Object.keys(FIELD_WIDTHS), ...LITERAL_REFERENCE_TYPES])) add(type, checkLiteralWidths);
        for (const type of Object.keys(SINGLE_SETTINGS)) add(type, (node, accept) => this.checkRepeatedSettings(node, accept));
        const specific: ValidationChecks<IrqTopologyAstType> = {
            IrqFile: (file, accept) => this.checkFile(file, accept),
            Machine: (machine, accept) => this.checkMachine(machine, accept),
            Iommu: (iommu, accept) => this.checkIommu(iommu, accept),
            Irte: (irte, accept) => this.checkIrte(irte, accept),
            SidBusRange: (range, accept) => this.checkSidBusRange(range, accept),
            CpuRange: (range, accept) => this.checkCpuRange(range, accept),
            Msi: (msi, accept) => this.checkMsi(msi, accept),
            Msix: (msix, accept) => this.checkMsix(msix, accept),
            Ims: (ims, accept) => this.checkEntries(ims.entries, 'IMS slot', ims.$container?.name, accept),
            MessageEntry: (entry, accept) => this.checkEntry(entry, accept),
            KvmRoute: (route, accept) => this.checkKvmRoute(route, accept),
            KvmSignal: (signal, accept) => this.checkKvmSignal(signal, accept),
            Kvm: (kvm, accept) => this.checkKvm(kvm, accept),
            Phb: (phb, accept) => this.checkPhb(phb, accept),
            Xics: (xics, accept) => this.checkXics(xics, accept),
            Vfio: (vfio, accept) => this.checkVfio(vfio, accept),
        };
        for (const [type, check] of Object.entries(specific)) add(type, check as ValidationCheck);
        return checks as ValidationChecks<IrqTopologyAstType>;
    }

    // ------------------------------------------------------------------------------------------------
    // Repeats

    protected checkRepeatedSettings(node: AstNode, accept: ValidationAcceptor): void {
        const settings = SINGLE_SETTINGS[node.$type];
        if (!settings) return;
        for (const property of settings) {
            const occurrences = propertyCstNodes(node).get(property) ?? [];
            for (let i = 1; i < occurrences.length; i++) {
                const first = occurrences[0];
                accept('error', `'${SETTING_NAMES[property] ?? property}' is already set on line ${first.range.start.line + 1}; the last one would silently win. Remove one.`, {
                    node, range: occurrences[i].range, code: IrqCodes.DuplicateSetting,
                });
            }
        }
    }

    protected checkFile(file: Ast.IrqFile, accept: ValidationAcceptor): void {
        const uri = file.$document?.uri.toString() ?? '';
        reportDuplicateNames(file.machines ?? [], 'machine', 'this file', uri, accept);
        reportDuplicateNames(file.scenarios ?? [], 'scenario', 'this file', uri, accept);
    }

    protected checkMachine(machine: Ast.Machine, accept: ValidationAcceptor): void {
        const uri = machine.$container?.$document?.uri.toString() ?? '';
        const members = machine.members ?? [];
        const where = `machine ${machine.name}`;
        // Singletons: `arch`, `apic`, `kvm`, `xics` once per machine.
        for (const type of ['ArchDecl', 'ApicDecl', 'Kvm', 'Xics'] as const) {
            const all = members.filter(m => m.$type === type);
            for (const dup of all.slice(1)) {
                const keyword = type === 'ArchDecl' ? 'arch' : type === 'ApicDecl' ? 'apic' : type === 'Kvm' ? 'kvm' : 'xics';
                accept('error', `'${keyword}' is already given on line ${line(all[0].$cstNode)} in ${where}; give it once.`, {
                    node: dup, keyword, code: IrqCodes.DuplicateSetting,
                    relatedInformation: related(uri, all[0].$cstNode, `first '${keyword}'`),
                });
            }
        }
        const buses = members.filter((m): m is Ast.Bus => m.$type === 'Bus');
        reportDuplicateNames(members.filter((m): m is Ast.Iommu => m.$type === 'Iommu'), 'IOMMU', where, uri, accept);
        reportDuplicateNames(buses, 'bus', where, uri, accept);
        reportDuplicateNames(members.filter((m): m is Ast.Phb => m.$type === 'Phb'), 'PHB', where, uri, accept);
        const devices: Ast.Device[] = [];
        const bridges: Ast.Bridge[] = [];
        for (const bus of buses) {
            for (const child of bus.members ?? []) {
                if (child.$type === 'Device') devices.push(child); else bridges.push(child);
            }
        }
        reportDuplicateNames(devices, 'device', where, uri, accept);
        reportDuplicateNames(bridges, 'bridge', where, uri, accept);
        this.checkCpus(members, uri, accept);
        this.checkBdfs(buses, uri, accept);
        this.checkBridgeTopology(bridges, uri, accept);
        this.checkArch(machine, buses, devices, accept);
    }

    /**
     * Statements of the other architecture: the engine routes pseries machines through PHBs and XICS and
     * x86 machines through VT-d, and ignores the rest, so a PHB on an x86 machine (or a VT-d unit on a
     * pseries one) would silently change nothing.
     */
    protected checkArch(machine: Ast.Machine, buses: Ast.Bus[], devices: Ast.Device[], accept: ValidationAcceptor): void {
        const members = machine.members ?? [];
        const arch = members.find(m => m.$type === 'ArchDecl')?.arch ?? 'x86_64';
        const name = machine.name ?? 'this machine';
        if (arch === 'ppc64') {
            for (const m of members) {
                if (m.$type !== 'Iommu') continue;
                accept('warning', `${name} is ppc64: MSIs are decoded by the PCI host bridges (PHBs) and delivered by XICS, so this VT-d unit takes no part in routing. Remove it, or put its buses \`on\` a PHB.`, {
                    node: m, property: 'name', code: IrqCodes.ArchMismatch,
                });
            }
            return;
        }
        const not = `${name} is ${arch}, not ppc64`;
        for (const m of members) {
            const keyword = PSERIES_ONLY[m.$type];
            if (keyword) {
                accept('warning', `${not}: \`${keyword}\` describes a pseries machine and is ignored here. Set \`arch ppc64\`, or remove it.`, {
                    node: m, keyword, code: IrqCodes.ArchMismatch,
                });
            }
        }
        for (const bus of buses) {
            if (bus.phb) {
                accept('warning', `${not}: a PHB decodes MSIs only on pseries, so \`on ${bus.phb.$refText}\` is ignored here.`, {
                    node: bus, property: 'phb', code: IrqCodes.ArchMismatch,
                });
            }
        }
        for (const d of devices) {
            if (d.irq) {
                accept('warning', `${not}: an \`irq base\` allocation is what pseries firmware (RTAS ibm,change-msi) hands out, and is ignored here; the device's vectors send the messages the file gives them.`, {
                    node: d.irq, range: headerRange(d.irq.$cstNode, 'irq', 'base'), code: IrqCodes.ArchMismatch,
                });
            }
        }
    }

    /** `cpu N` at most once; ranges must not overlap; `cpu N` inside a range refines that CPU. */
    protected checkCpus(members: Ast.MachineMember[], uri: string, accept: ValidationAcceptor): void {
        const decls = new Map<bigint, Ast.CpuDecl>();
        const ranges: Ast.CpuRange[] = [];
        for (const m of members) {
            if (m.$type === 'CpuDecl' && m.index !== undefined) {
                const first = decls.get(m.index);
                if (first) {
                    accept('error', `CPU ${m.index} is already declared on line ${line(first.$cstNode)}.`, {
                        node: m, property: 'index', code: IrqCodes.DuplicateCpu,
                        relatedInformation: related(uri, first.$cstNode, `first declaration of CPU ${m.index}`),
                    });
                } else decls.set(m.index, m);
            } else if (m.$type === 'CpuRange' && m.first !== undefined && m.last !== undefined && m.first <= m.last) {
                const overlap = ranges.find(r => r.first! <= m.last! && m.first! <= r.last!);
                if (overlap) {
                    const lo = m.first > overlap.first! ? m.first : overlap.first!;
                    accept('error', `CPUs ${m.first}..${m.last} overlap the range on line ${line(overlap.$cstNode)} (CPU ${lo} is in both).`, {
                        node: m, code: IrqCodes.DuplicateCpu,
                        relatedInformation: related(uri, overlap.$cstNode, 'overlapping range'),
                    });
                }
                ranges.push(m);
            }
        }
    }

    /**
     * One function per BDF; each device sits on the bus its BDF names. A bus without `number` / `segment`
     * takes them from its first device or bridge (as the lowering does).
     */
    protected checkBdfs(buses: Ast.Bus[], uri: string, accept: ValidationAcceptor): void {
        const seen = new Map<string, Ast.BusMember>();
        const hex = (v: number, digits: number) => v.toString(16).padStart(digits, '0');
        for (const bus of buses) {
            const members = (bus.members ?? []).map(child => ({ child, bdf: child.bdf ? parseBdf(child.bdf) : undefined }));
            const first = members.find(m => m.bdf !== undefined);
            const busNumber = bus.number !== undefined ? Number(bus.number & 0xffn) : first?.bdf?.bus ?? 0;
            const busSegment = bus.segment !== undefined ? Number(bus.segment & 0xffffn) : first?.bdf?.segment ?? 0;
            const inferred = bus.number === undefined && first ? ` (from ${first.child.name}, line ${line(first.child.$cstNode)})` : '';
            for (const { child, bdf } of members) {
                if (!bdf) continue;
                if (bdf.device > 0x1f || bdf.fn > 7) {
                    accept('error', `${child.bdf} is not a valid BDF: the device number is 0..1f and the function 0..7.`, {
                        node: child, property: 'bdf', code: IrqCodes.BdfInvalid,
                    });
                    continue;
                }
                if (bdf.bus !== busNumber) {
                    accept('error', `${child.bdf} is on bus ${hex(bdf.bus, 2)}, but bus ${bus.name} is bus ${hex(busNumber, 2)}${inferred}.`, {
                        node: child, property: 'bdf', code: IrqCodes.BdfBusMismatch,
                    });
                } else if (bdf.segment !== undefined && bdf.segment !== busSegment) {
                    accept('error', `${child.bdf} is in segment ${hex(bdf.segment, 4)}, but bus ${bus.name} is in segment ${hex(busSegment, 4)}.`, {
                        node: child, property: 'bdf', code: IrqCodes.BdfBusMismatch,
                    });
                }
                const key = formatBdf({ ...bdf, segment: bdf.segment ?? busSegment });
                const earlier = seen.get(key);
                if (earlier) {
                    accept('error', `${earlier.name} (line ${line(earlier.$cstNode)}) is already at ${child.bdf}.`, {
                        node: child, property: 'bdf', code: IrqCodes.DuplicateBdf,
                        relatedInformation: related(uri, findNodeForProperty(earlier.$cstNode, 'bdf') ?? earlier.$cstNode, `${earlier.name} is at ${earlier.bdf}`),
                    });
                } else seen.set(key, child);
            }
        }
    }

    /** A bus is the secondary of at most one bridge, and no bridge leads back to a bus above it. */
    protected checkBridgeTopology(bridges: Ast.Bridge[], uri: string, accept: ValidationAcceptor): void {
        const parentOf = new Map<Ast.Bus, Ast.Bridge>();
        for (const br of bridges) {
            const target = br.secondary?.ref;
            if (!target) continue;
            const first = parentOf.get(target);
            if (first) {
                accept('error', `Bus ${target.name} is already the secondary bus of bridge ${first.name} (line ${line(first.$cstNode)}); a bus has one parent bridge.`, {
                    node: br, property: 'secondary', code: IrqCodes.BridgeTopology,
                    relatedInformation: related(uri, first.$cstNode, `bridge ${first.name}`),
                });
            } else parentOf.set(target, br);
        }
        // Walk up from each bridge's own bus; linear overall thanks to `clear` (buses known to reach a root).
        const clear = new Set<Ast.Bus>();
        for (const br of bridges) {
            const target = br.secondary?.ref;
            if (!target) continue;
            const visited = new Set<Ast.Bus>();
            let bus: Ast.Bus | undefined = br.$container;
            let cycle = false;
            while (bus && !clear.has(bus)) {
                if (bus === target || visited.has(bus)) { cycle = true; break; }
                visited.add(bus);
                bus = parentOf.get(bus)?.$container;
            }
            if (cycle) {
                accept('error', `Bridge ${br.name} leads to bus ${target.name}, which is at or above the bus it sits on (${br.$container.name}): the bridges form a loop.`, {
                    node: br, property: 'secondary', code: IrqCodes.BridgeTopology,
                });
            } else for (const b of visited) clear.add(b);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // IOMMUs and IRTEs

    protected checkIommu(iommu: Ast.Iommu, accept: ValidationAcceptor): void {
        const size = iommu.tableSize;
        const sized = size !== undefined && size < (1n << 32n) ? irtaSizeRule(size) : undefined;
        if (sized && 'error' in sized) {
            accept('error', sized.error, {
                node: iommu, property: 'tableSize', code: IrqCodes.IrteTableSize,
            });
        }
        const uri = iommu.$container?.$container?.$document?.uri.toString() ?? '';
        const byIndex = new Map<bigint, Ast.Irte>();
        for (const irte of iommu.irtes ?? []) {
            if (irte.index === undefined) continue;
            const first = byIndex.get(irte.index);
            if (first) {
                accept('error', `IRTE ${irte.index} of ${iommu.name} is already defined on line ${line(first.$cstNode)}.`, {
                    node: irte, property: 'index', code: IrqCodes.DuplicateIrte,
                    relatedInformation: related(uri, first.$cstNode, `first IRTE ${irte.index}`),
                });
            } else byIndex.set(irte.index, irte);
        }
    }

    protected checkIrte(irte: Ast.Irte, accept: ValidationAcceptor): void {
        if (irte.raw || containsSyntaxError(irte)) return;
        const header = () => headerRange(irte.$cstNode, 'irte', 'index');
        const name = `IRTE ${irte.index ?? '?'}`;
        if (irte.vector === undefined) {
            accept('error', `${name} has no vector: add \`vector 0x…\`.`, { node: irte, range: header(), code: IrqCodes.MissingField, data: { code: IrqCodes.MissingField, field: 'vector' } });
        }
        if (irte.posted) {
            if (irte.descriptor === undefined) {
                accept('error', `Posted ${name} has no descriptor: add \`descriptor 0x…\` (the posted-interrupt descriptor address).`, { node: irte, range: header(), code: IrqCodes.MissingField, data: { code: IrqCodes.MissingField, field: 'descriptor' } });
            }
            for (const property of REMAPPED_ONLY) {
                if (isSet(irte, property)) {
                    accept('error', `'${SETTING_NAMES[property] ?? property}' is a field of the remapped format; a posted IRTE (IM=1) takes its destination from the posted-interrupt descriptor.`, { node: irte, property, code: IrqCodes.FieldNotInFormat });
                }
            }
        } else {
            if (irte.dest === undefined) {
                accept('error', `${name} has no destination: add \`dest N\` (an APIC ID, or a logical destination with \`logical\`).`, { node: irte, range: header(), code: IrqCodes.MissingField, data: { code: IrqCodes.MissingField, field: 'dest' } });
            }
            for (const property of POSTED_ONLY) {
                if (isSet(irte, property)) {
                    accept('error', `'${property}' is a field of the posted format: add \`posted\` to this IRTE, or remove it.`, { node: irte, property, code: IrqCodes.FieldNotInFormat });
                }
            }
        }
    }

    protected checkSidBusRange(range: Ast.SidBusRange, accept: ValidationAcceptor): void {
        if (range.start !== undefined && range.end !== undefined && range.start > range.end) {
            // Independent of the profile: the specification (and Linux) read SVT=10 as start..end, so the range is
            // empty on conforming hardware; QEMU reads it the other way round (ROUTING.md §10.1) and would match.
            const text = range.$cstNode?.text.replace(/^bus\s+/, '') ?? '';
            accept('warning', `The bus range ${text} is empty (start above end): no requester bus can match it on hardware that follows the VT-d specification. QEMU reads SVT=10 ranges the other way round and would accept it, so a guest written for QEMU breaks elsewhere; write the range start..end.`, {
                node: range, code: IrqCodes.SidBusRangeEmpty,
            });
        }
    }

    // ------------------------------------------------------------------------------------------------
    // CPUs

    protected checkCpuRange(range: Ast.CpuRange, accept: ValidationAcceptor): void {
        if (range.first === undefined || range.last === undefined) return;
        if (range.first > range.last) {
            accept('error', `The range ${range.first}..${range.last} has no CPUs: the first index is above the last.`, { node: range, code: IrqCodes.CpuRangeEmpty });
        } else if (range.last - range.first >= BigInt(MAX_CPUS_PER_RANGE)) {
            accept('error', `The range ${range.first}..${range.last} has ${range.last - range.first + 1n} CPUs; KVM supports at most ${MAX_CPUS_PER_RANGE}.`, { node: range, code: IrqCodes.CpuRangeTooLarge });
        }
    }

    // ------------------------------------------------------------------------------------------------
    // PCI (names, BDFs and bridges are checked per machine, where every bus is known)

    protected checkMsi(msi: Ast.Msi, accept: ValidationAcceptor): void {
        const valid = (v: bigint | undefined) => v === undefined || (v <= 32n && msiLog2OfCount(Number(v)).ok);
        for (const property of ['vectors', 'capable'] as const) {
            const v = msi[property];
            if (v !== undefined && v < (1n << 32n) && !valid(v)) {
                accept('error', `An MSI capability has 1, 2, 4, 8, 16 or 32 vectors (MMC/MME hold log2 of the count); ${v} is not one of them.`, { node: msi, property, code: IrqCodes.MsiVectorCount });
            }
        }
        // vectors > capable (MME > MMC) is the engine's `msi-vector-count`.
        // What a capability without the optional registers cannot hold:
        if (!msi.is64 && msi.address !== undefined && msi.address > 0xffff_ffffn && msi.address <= 0xffff_ffff_ffff_ffffn) {
            accept('error', `A 32-bit MSI capability has no Message Upper Address register, so it cannot hold ${propertyCstNode(msi, 'address')?.text ?? msi.address}: add \`64bit\` or use an address below 4 GiB.`, {
                node: msi, property: 'address', code: IrqCodes.MsiAddressNeeds64Bit,
            });
        }
        // `masked` / `pending` without per-vector masking are the engine's `msi-mask-unsupported`: it says what
        // happens (the vector keeps firing), which is what a user writing down a guest's mask needs to know.
        if (containsSyntaxError(msi)) return;
        // On pseries the guest never programs the message: firmware does, from the device's `irq base`.
        if (msiFromFirmware(msi, machineArch(msi) === 'ppc64')) return;
        if (msi.address === undefined) {
            accept('error', 'The MSI capability has no address: add `address 0x…`.', { node: msi, keyword: 'msi', code: IrqCodes.MissingField, data: { code: IrqCodes.MissingField, field: 'address' } });
        }
        if (msi.data === undefined) {
            accept('error', 'The MSI capability has no data: add `data 0x…`.', { node: msi, keyword: 'msi', code: IrqCodes.MissingField, data: { code: IrqCodes.MissingField, field: 'data' } });
        }
    }

    protected checkMsix(msix: Ast.Msix, accept: ValidationAcceptor): void {
        // The table size range (1..2048) is the engine's `msix-table-size`.
        this.checkEntries(msix.entries, 'MSI-X entry', msix.$container?.name, accept);
    }

    protected checkEntries(entries: Ast.MessageEntry[] | undefined, what: string, device: string | undefined, accept: ValidationAcceptor): void {
        const byIndex = new Map<bigint, Ast.MessageEntry>();
        for (const e of entries ?? []) {
            if (e.index === undefined) continue;
            const first = byIndex.get(e.index);
            if (first) {
                const uri = rootOf(e)?.$document?.uri.toString() ?? '';
                accept('error', `${what} ${e.index} of ${device ?? 'this device'} is already defined on line ${line(first.$cstNode)}.`, {
                    node: e, property: 'index', code: IrqCodes.DuplicateEntry,
                    relatedInformation: related(uri, first.$cstNode, `first ${what} ${e.index}`),
                });
            } else byIndex.set(e.index, e);
        }
    }

    protected checkEntry(entry: Ast.MessageEntry, accept: ValidationAcceptor): void {
        if (containsSyntaxError(entry)) return;
        const header = () => headerRange(entry.$cstNode, 'entry', 'index');
        for (const field of ['address', 'data'] as const) {
            if (entry[field] === undefined) {
                accept('error', `Entry ${entry.index ?? '?'} has no ${field}: add \`${field} 0x…\`.`, { node: entry, range: header(), code: IrqCodes.MissingField, data: { code: IrqCodes.MissingField, field } });
            }
        }
    }

    protected checkKvmRoute(route: Ast.KvmRoute, accept: ValidationAcceptor): void {
        if (route.kind === 'irqchip' && route.irqchip && route.pin !== undefined) {
            const pins = IRQCHIP_PINS[route.irqchip];
            if (pins !== undefined && route.pin >= BigInt(pins) && route.pin < (1n << 32n)) {
                accept('error', `The ${route.irqchip === 'ioapic' ? 'I/O APIC' : 'PIC'} has pins 0..${pins - 1}; there is no pin ${route.pin}.`, { node: route, property: 'pin', code: IrqCodes.InvalidValue });
            }
        }
        if (containsSyntaxError(route)) return;
        if (route.kind === 'irqchip') {
            if (route.pin === undefined) {
                accept('error', `The irqchip route for GSI ${route.gsi ?? '?'} has no pin: add \`pin N\`.`, { node: route, keyword: 'route', code: IrqCodes.MissingField, data: { code: IrqCodes.MissingField, field: 'pin' } });
            }
            return;
        }
        for (const field of ['address', 'data'] as const) {
            if (route[field] === undefined) {
                accept('error', `The MSI route for GSI ${route.gsi ?? '?'} has no ${field}: add \`${field} 0x…\`.`, { node: route, keyword: 'route', code: IrqCodes.MissingField, data: { code: IrqCodes.MissingField, field } });
            }
        }
    }

    protected checkKvmSignal(signal: Ast.KvmSignal, accept: ValidationAcceptor): void {
        if (containsSyntaxError(signal)) return;
        for (const field of ['address', 'data'] as const) {
            if (signal[field] === undefined) {
                accept('error', `The KVM_SIGNAL_MSI ${signal.name ?? 'injection'} has no ${field}: add \`${field} 0x…\`.`, { node: signal, keyword: 'signal-msi', code: IrqCodes.MissingField, data: { code: IrqCodes.MissingField, field } });
            }
        }
    }

    protected checkKvm(kvm: Ast.Kvm, accept: ValidationAcceptor): void {
        if (kvm.maxRoutes === 0n) {
            accept('error', 'A route limit of 0 admits no GSI route at all; give the number of routes the VMM allows (KVM_MAX_IRQ_ROUTES is 4096).', { node: kvm, property: 'maxRoutes', code: IrqCodes.InvalidValue });
        }
    }

    // ------------------------------------------------------------------------------------------------
    // pseries, VFIO

    protected checkPhb(phb: Ast.Phb, accept: ValidationAcceptor): void {
        if (phb.msiWindowSize === 0n) {
            accept('error', 'An MSI window of size 0 decodes no write; give its size in bytes (legacy: 32 slots of 64 KiB, current: one page).', { node: phb, property: 'msiWindowSize', code: IrqCodes.InvalidValue });
        }
        if (phb.maxDevs === 0n) {
            accept('error', 'An msi_table of 0 slots can configure no device (SPAPR_MSIX_MAX_DEVS is 32).', { node: phb, property: 'maxDevs', code: IrqCodes.InvalidValue });
        }
        if (containsSyntaxError(phb)) return;
        if (phb.msiWindow === undefined) {
            accept('error', `PHB ${phb.name ?? '?'} has no MSI window: add \`msi window 0x…\` (the guest-physical address its MSI writes go to).`, {
                node: phb, property: 'name', code: IrqCodes.MissingField, data: { code: IrqCodes.MissingField, field: 'msi window' },
            });
        }
    }

    protected checkXics(xics: Ast.Xics, accept: ValidationAcceptor): void {
        if (xics.first !== undefined && xics.last !== undefined && xics.first > xics.last) {
            accept('error', `The source range ${xics.first}..${xics.last} is empty: the first IRQ number is above the last.`, {
                node: xics, range: headerRange(xics.$cstNode, 'xics', 'last'), code: IrqCodes.InvalidValue,
            });
        }
        const uri = rootOf(xics)?.$document?.uri.toString() ?? '';
        const byIrq = new Map<bigint, Ast.XicsSource>();
        for (const s of xics.sources ?? []) {
            if (s.irq === undefined) continue;
            const first = byIrq.get(s.irq);
            if (first) {
                accept('error', `Source ${propertyCstNode(s, 'irq')?.text ?? s.irq} is already set on line ${line(first.$cstNode)}.`, {
                    node: s, property: 'irq', code: IrqCodes.DuplicateEntry,
                    relatedInformation: related(uri, first.$cstNode, 'first setting of this source'),
                });
            } else byIrq.set(s.irq, s);
        }
    }

    protected checkVfio(vfio: Ast.Vfio, accept: ValidationAcceptor): void {
        for (const property of ['msixBar', 'pbaBar'] as const) {
            const bir = vfio[property];
            if (bir !== undefined && bir >= 6n && bir <= 7n) {
                accept('error', `BIR ${bir} is reserved: a function has BARs 0 to 5.`, { node: vfio, property, code: IrqCodes.InvalidValue });
            }
        }
        // The page-size rule is the engine's (pci/vfio.ts: its MSI-X layout rounds with the page); only the
        // placement is ours. A value wider than the 32-bit field is literal-too-wide instead.
        const page = vfio.pageSize;
        const pageProblem = page !== undefined && page < (1n << 32n) ? vfioPageSizeProblem(page, propertyCstNode(vfio, 'pageSize')?.text) : undefined;
        if (pageProblem) {
            accept('error', pageProblem, { node: vfio, property: 'pageSize', code: IrqCodes.InvalidValue });
        }
        if (containsSyntaxError(vfio)) return;
        for (const field of vfioMissingFields(vfio)) {
            accept('error', `The VFIO assignment of ${vfio.$container?.name ?? 'this device'} does not say where its MSI-X ${field === 'pbaOffset' ? 'PBA' : 'table'} is: add \`${SETTING_NAMES[field]} ${field === 'msixBar' ? 'N' : '0x…'}\`.`, {
                node: vfio, keyword: 'vfio', code: IrqCodes.MissingField, data: { code: IrqCodes.MissingField, field: SETTING_NAMES[field] },
            });
        }
    }
}

const archOf = new WeakMap<Ast.Machine, string>();

/** The architecture of the machine a node belongs to (x86_64 unless it says otherwise); once per machine. */
function machineArch(node: AstNode): string {
    let cur: AstNode | undefined = node;
    while (cur && cur.$type !== 'Machine') cur = cur.$container;
    const machine = cur as Ast.Machine | undefined;
    if (!machine) return 'x86_64';
    let arch = archOf.get(machine);
    if (arch === undefined) {
        arch = machine.members?.find(m => m.$type === 'ArchDecl')?.arch ?? 'x86_64';
        archOf.set(machine, arch);
    }
    return arch;
}

// ----------------------------------------------------------------------------------------------------
// Helpers

function rootOf(node: AstNode): AstNode | undefined {
    let cur: AstNode | undefined = node;
    while (cur?.$container) cur = cur.$container;
    return cur;
}

function isSet(node: AstNode, property: string): boolean {
    const v = (node as unknown as Record<string, unknown>)[property];
    return v !== undefined && v !== false;
}

function line(cst: CstNode | undefined): number {
    return (cst?.range.start.line ?? 0) + 1;
}

function related(uri: string, cst: CstNode | undefined, message: string): DiagnosticRelatedInformation[] | undefined {
    return cst ? [{ location: { uri, range: cst.range }, message }] : undefined;
}

function headerRange(cst: CstNode | undefined, keyword: string, property: string) {
    if (!cst) return undefined;
    const k = GrammarUtils.findNodeForKeyword(cst, keyword) ?? cst;
    const p = findNodeForProperty(cst, property) ?? k;
    return { start: k.range.start, end: p.range.end };
}

interface Named extends AstNode { name?: string }

/** Reports every declaration after the first of a name (the first is the one references resolve to). */
function reportDuplicateNames(nodes: readonly Named[], kind: string, where: string, uri: string, accept: ValidationAcceptor): void {
    const first = new Map<string, Named>();
    for (const node of nodes) {
        if (!node.name) continue;
        const earlier = first.get(node.name);
        if (earlier) {
            accept('error', `Duplicate ${kind} name '${node.name}' in ${where}: the ${kind} on line ${line(earlier.$cstNode)} already has it.`, {
                node, property: 'name', code: IrqCodes.DuplicateName,
                relatedInformation: related(uri, findNodeForProperty(earlier.$cstNode, 'name') ?? earlier.$cstNode, `first ${kind} '${node.name}'`),
            });
        } else first.set(node.name, node);
    }
}
