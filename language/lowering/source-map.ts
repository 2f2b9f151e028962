/**
 * Where in the source a diagnostic about (element, property) belongs.
 *
 * The engine names properties of its model ('address', 'dest', 'sid', 'irtaS', 'maskBits' …); the AST
 * names what the user wrote ('address', 'dest', 'sid', 'tableSize', 'masked' …). This file maps one onto
 * the other per AST node type and picks the CST node of the literal / keyword / reference that holds the
 * value. When the property was not written (a default applied) or is unknown, the diagnostic goes on the
 * element's header (`irte 5`, `entry 0`, the device's name) rather than on the whole block.
 */
import { GrammarUtils, type AstNode, type CstNode } from 'langium';
import type { Range } from 'vscode-languageserver-types';
import {
    isApicDecl, isArchDecl, isKvm,
    type ApicDecl, type ArchDecl, type Irte, type Kvm, type Machine,
} from '../generated/ast.js';
import { propertyCstNode } from '../values/cst-properties.js';

const { findNodeForKeyword } = GrammarUtils;
const findNodeForProperty = (cst: CstNode | undefined, property: string) => (cst ? propertyCstNode(cst.astNode, property) : undefined);

/** Engine property → AST properties to try, in order, per AST node type. */
const PROPERTY_MAP: Record<string, Record<string, readonly string[]>> = {
    CpuDecl: {
        apicId: ['apicId', 'index'], index: ['index'], logicalId: ['logicalId'], mode: ['mode'],
        enabled: ['disabled'], server: ['server', 'index'],
    },
    // A range stands for many CPUs: only what the range itself writes has a literal of its own.
    CpuRange: { server: ['server'] },
    Iommu: {
        remapping: ['remapping'], eim: ['eim'], cfi: ['cfi'], irtaS: ['tableSize'], tableSize: ['tableSize'],
        postedSupported: ['posted'], posted: ['posted'], kind: ['kind'], name: ['name'],
    },
    Irte: {
        index: ['index'], vector: ['vector'], dest: ['dest'], destination: ['dest'], sid: ['sid'],
        sq: ['sq', 'sid'], svt: ['svt', 'sid'], deliveryMode: ['deliveryMode'], dlm: ['deliveryMode'],
        trigger: ['trigger'], tm: ['trigger'], destMode: ['destMode'], dm: ['destMode'],
        rh: ['rh'], redirectionHint: ['rh'], fpd: ['fpd'], present: ['notPresent'], p: ['notPresent'],
        posted: ['posted'], im: ['posted'], urgent: ['urgent'], pda: ['descriptor'], descriptor: ['descriptor'],
        avail: ['avail'],
    },
    Bus: { iommu: ['iommu'], number: ['number'], segment: ['segment'], phb: ['phb'], name: ['name'] },
    Bridge: { kind: ['kind'], bdf: ['bdf'], secondary: ['secondary'], name: ['name'] },
    Device: { bdf: ['bdf'], model: ['model'], name: ['name'] },
    Msi: {
        address: ['address'], data: ['data'], mme: ['vectors'], vectors: ['vectors'], mmc: ['capable', 'vectors'],
        capable: ['capable', 'vectors'], is64: ['is64'], perVectorMask: ['perVectorMask'],
        maskBits: ['masked', 'pending'], masked: ['masked', 'pending'], pendingBits: ['pending', 'masked'],
        pending: ['pending'], enabled: ['disabled'], disabled: ['disabled'], latches: ['latch'],
    },
    Msix: {
        tableSize: ['tableSize'], functionMask: ['functionMasked'], functionMasked: ['functionMasked'],
        enabled: ['disabled'], disabled: ['disabled'],
    },
    Ims: { size: ['size'], maskable: ['unmaskable', 'size'] },
    MessageEntry: {
        index: ['index'], address: ['address'], data: ['data'], masked: ['masked'], pending: ['pending'],
    },
    // pseries
    Phb: {
        msiWindow: ['msiWindow'], windowSize: ['msiWindowSize', 'msiWindow'], model: ['model'],
        maxDevs: ['maxDevs', 'model'], name: ['name'],
    },
    Xics: {
        first: ['first'], last: ['last'], defaultServer: ['server'], server: ['server'],
        defaultPriority: ['priority'], priority: ['priority'],
    },
    XicsSource: { irq: ['irq'], server: ['server', 'irq'], priority: ['priority', 'irq'] },
    IrqAllocation: {
        base: ['base'], count: ['count', 'base'], slot: ['slot', 'base'], server: ['server', 'base'],
        priority: ['priority', 'base'],
    },
    Vfio: {
        msixBar: ['msixBar'], tableOffset: ['tableOffset'], pbaBar: ['pbaBar', 'msixBar'], pbaOffset: ['pbaOffset'],
        barSize: ['barSize', 'msixBar'], pageSize: ['pageSize'], mmap: ['access'],
    },
    // KVM
    Kvm: {
        gsiMapping: ['gsiMapping'], maxRoutes: ['maxRoutes'], x2apicApi: ['x2apicApi'],
        broadcastQuirkDisabled: ['broadcastQuirk'], extDestId: ['extDestId'],
    },
    KvmRoute: {
        gsi: ['gsi'], kind: ['kind'], address: ['address'], data: ['data'], devid: ['devid'],
        irqchip: ['irqchip'], pin: ['pin', 'irqchip'],
    },
    KvmIrqfd: { source: ['source'], gsi: ['gsi'], resample: ['resample'] },
    KvmSignal: { name: ['name'], address: ['address'], data: ['data'], devid: ['devid'] },
};

/** Raw IRTE: which half (as written: `raw LO HI`) holds each field. Bits 63:0 are LO, 127:64 HI. */
const RAW_IRTE_HALF: Record<string, 'lo' | 'hi'> = {
    present: 'lo', p: 'lo', fpd: 'lo', destMode: 'lo', dm: 'lo', rh: 'lo', redirectionHint: 'lo', trigger: 'lo',
    tm: 'lo', deliveryMode: 'lo', dlm: 'lo', avail: 'lo', im: 'lo', posted: 'lo', urgent: 'lo', vector: 'lo',
    dest: 'lo', destination: 'lo', pda: 'lo', descriptor: 'lo', lo: 'lo',
    sid: 'hi', sq: 'hi', svt: 'hi', hi: 'hi',
};

/** The CST node(s) a diagnostic about `property` of `node` should cover. */
export function cstNodesForProperty(node: AstNode, property?: string): [CstNode, CstNode] | undefined {
    const cst = node.$cstNode;
    if (!cst) return undefined;
    if (property !== undefined) {
        const hit = propertyNodes(node, property);
        if (hit) return hit;
    }
    return headerNodes(node);
}

/** The range a diagnostic about `property` of `node` should cover. */
export function rangeForProperty(node: AstNode, property?: string): Range | undefined {
    const nodes = cstNodesForProperty(node, property);
    return nodes ? spanRange(nodes[0], nodes[1]) : undefined;
}

export function spanRange(first: CstNode, last: CstNode): Range {
    return { start: first.range.start, end: last.range.end };
}

function single(n: CstNode | undefined): [CstNode, CstNode] | undefined {
    return n ? [n, n] : undefined;
}

function propertyNodes(node: AstNode, property: string): [CstNode, CstNode] | undefined {
    const cst = node.$cstNode;
    if (node.$type === 'Machine') return machinePropertyNodes(node as Machine, property);
    if (node.$type === 'Irte' && (node as Irte).raw) {
        const lo = findNodeForProperty(cst, 'lo');
        const hi = findNodeForProperty(cst, 'hi');
        const half = RAW_IRTE_HALF[property];
        if (property === 'index') return single(findNodeForProperty(cst, 'index'));
        if (half === 'lo' && lo) return [lo, lo];
        if (half === 'hi' && hi) return [hi, hi];
        if (lo && hi) return [lo, hi];
        return single(lo ?? hi);
    }
    // A range stands for many CPUs: a finding about one of them goes on the whole range, unless it is about
    // something the range writes for all of them (its server numbers).
    if (node.$type === 'CpuRange' && !PROPERTY_MAP.CpuRange[property]) return undefined;
    const candidates = PROPERTY_MAP[node.$type]?.[property] ?? [property];
    for (const astProperty of candidates) {
        const hit = findNodeForProperty(cst, astProperty);
        if (hit) return [hit, hit];
    }
    return undefined;
}

function machinePropertyNodes(machine: Machine, property: string): [CstNode, CstNode] | undefined {
    const members = machine.members ?? [];
    const arch = members.find(isArchDecl) as ArchDecl | undefined;
    const apic = members.find(isApicDecl) as ApicDecl | undefined;
    const kvm = members.find(isKvm) as Kvm | undefined;
    const kvmProperty = (astProperty: string) =>
        single(kvm && findNodeForProperty(kvm.$cstNode, astProperty)) ?? single(apic?.$cstNode);
    switch (property) {
        case 'arch': return single(arch?.$cstNode);
        case 'apic': case 'mode': case 'logical': return single(apic?.$cstNode);
        case 'x2apicApi': return kvmProperty('x2apicApi');
        case 'broadcastQuirkDisabled': return kvmProperty('broadcastQuirk');
        case 'extDestId': return single(kvm && findNodeForProperty(kvm.$cstNode, 'extDestId'));
        default: return undefined;
    }
}

/** The short "header" of an element: its name, or its keyword and index. */
function headerNodes(node: AstNode): [CstNode, CstNode] | undefined {
    const cst = node.$cstNode!;
    switch (node.$type) {
        case 'Machine': case 'Iommu': case 'Bus': case 'Bridge': case 'Device': case 'Phb': case 'Scenario':
            return single(findNodeForProperty(cst, 'name')) ?? [cst, cst];
        case 'CpuDecl': return keywordThrough(cst, 'cpu', 'index');
        case 'Irte': return keywordThrough(cst, 'irte', 'index');
        case 'MessageEntry': return keywordThrough(cst, 'entry', 'index');
        case 'Msix': return keywordThrough(cst, 'msix', 'tableSize');
        case 'Ims': return keywordThrough(cst, 'ims', 'size');
        case 'Msi': return single(findNodeForKeyword(cst, 'msi')) ?? [cst, cst];
        case 'Xics': return keywordThrough(cst, 'xics', 'last');
        case 'XicsSource': return keywordThrough(cst, 'source', 'irq');
        case 'IrqAllocation': return keywordThrough(cst, 'irq', 'base');
        case 'Vfio': return single(findNodeForKeyword(cst, 'vfio')) ?? [cst, cst];
        case 'Kvm': return single(findNodeForKeyword(cst, 'kvm')) ?? [cst, cst];
        case 'KvmRoute': return keywordThrough(cst, 'route', 'gsi');
        case 'KvmIrqfd': return keywordThrough(cst, 'irqfd', 'source');
        case 'KvmSignal': return keywordThrough(cst, 'signal-msi', 'name');
        default: return [cst, cst];
    }
}

function keywordThrough(cst: CstNode, keyword: string, property: string): [CstNode, CstNode] {
    const k = findNodeForKeyword(cst, keyword) ?? cst;
    const p = findNodeForProperty(cst, property) ?? k;
    return [k, p];
}
