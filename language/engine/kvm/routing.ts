/**
 * KVM GSI routing, irqfds and KVM_SIGNAL_MSI (ROUTING.md §6, thread 001): lookups for route() and the
 * machine-level checks of the routing table.
 *
 * - A routing table allows one non-irqchip (MSI) entry per GSI, and one entry per irqchip per GSI
 *   (virt/kvm/irqchip.c setup_routing_entry); every GSI is below KVM_MAX_IRQ_ROUTES and the table holds at
 *   most that many entries (or the VMM's lower cap).
 * - `routed` mapping (x86): the VMM allocates a GSI per vector and programs an MSI route with the vector's
 *   message; an irqfd on that GSI delivers the route's message, whatever the device holds now.
 * - `direct` mapping (pseries, kvm_gsi_direct_mapping): the GSI is the XICS IRQ; no route is allocated.
 * - Sharing (the quick fix of the route-limit findings): MSI routes with the same message can be one route
 *   that several irqfds fire, since an irqfd names only a GSI and KVM accepts any number of eventfds on one
 *   GSI (virt/kvm/eventfd.c kvm_irqfd_assign refuses only an eventfd that is already bound).
 */
import { makeFinding } from '../diagnostics.js';
import { KVM_MAX_IRQ_ROUTES, type Device, type ElementId, type KvmIrqfd, type KvmRoute, type Machine, type SourceRef } from '../model.js';
import { msiVectorCount } from '../pci/msi.js';
import type { Finding } from '../trace.js';

export function gsiMappingOf(machine: Machine): 'routed' | 'direct' {
    return machine.kvm.gsiMapping ?? (machine.arch === 'ppc64' ? 'direct' : 'routed');
}

export function maxRoutesOf(machine: Machine): number {
    return machine.kvm.maxRoutes ?? KVM_MAX_IRQ_ROUTES;
}

const srcKey = (s: Pick<SourceRef, 'device' | 'kind' | 'index'>): string => `${s.device}\u0000${s.kind}\u0000${s.index}`;

/**
 * Per irqfd list: device → kind → index → irqfds; a device without irqfds is one map miss. Nested maps
 * rather than a joined string key: route() asks once per call, and building the key was most of the cost.
 */
const irqfdCache = new WeakMap<readonly KvmIrqfd[], Map<string, Map<string, Map<number, KvmIrqfd[]>>>>();
const routeCache = new WeakMap<readonly KvmRoute[], Map<number, KvmRoute[]>>();

/** The irqfds that carry a source's interrupt, or undefined for none (no array made for the usual miss). */
function irqfdListOf(machine: Machine, source: Pick<SourceRef, 'device' | 'kind' | 'index'>): KvmIrqfd[] | undefined {
    const list = machine.kvm.irqfds;
    if (!list || list.length === 0) return undefined;
    let m = irqfdCache.get(list);
    if (!m) {
        m = new Map();
        for (const f of list) {
            let byDevice = m.get(f.source.device);
            if (!byDevice) m.set(f.source.device, (byDevice = new Map()));
            let byKind = byDevice.get(f.source.kind);
            if (!byKind) byDevice.set(f.source.kind, (byKind = new Map()));
            const l = byKind.get(f.source.index);
            if (l) l.push(f);
            else byKind.set(f.source.index, [f]);
        }
        irqfdCache.set(list, m);
    }
    return m.get(source.device)?.get(source.kind)?.get(source.index);
}

/** The irqfds that carry a source's interrupt (normally none or one). */
export function irqfdsOf(machine: Machine, source: Pick<SourceRef, 'device' | 'kind' | 'index'>): KvmIrqfd[] {
    return irqfdListOf(machine, source) ?? [];
}

/** The first irqfd that carries a source's interrupt (the one route() follows), if any. */
export function firstIrqfdOf(machine: Machine, source: Pick<SourceRef, 'device' | 'kind' | 'index'>): KvmIrqfd | undefined {
    return irqfdListOf(machine, source)?.[0];
}

/** The routing entries of a GSI, in declaration order. */
export function routesOfGsi(machine: Machine, gsi: number): KvmRoute[] {
    const list = machine.kvm.routes;
    if (!list || list.length === 0) return [];
    let m = routeCache.get(list);
    if (!m) {
        m = new Map();
        for (const r of list) {
            const l = m.get(r.gsi);
            if (l) l.push(r);
            else m.set(r.gsi, [r]);
        }
        routeCache.set(list, m);
    }
    return m.get(gsi) ?? [];
}

/** The irqfds bound to a GSI. */
export function irqfdsOfGsi(machine: Machine, gsi: number): KvmIrqfd[] {
    return (machine.kvm.irqfds ?? []).filter((f) => f.gsi === gsi);
}

function routeText(r: KvmRoute): string {
    if (r.kind === 'irqchip') return `irqchip route (${r.irqchip ?? 'irqchip'} pin ${r.pin ?? '?'})`;
    return `MSI route`;
}

/** Whether a source exists in the machine (device, capability, index within it). */
function sourceExists(devices: Map<string, Device>, s: SourceRef): boolean {
    const d = devices.get(s.device);
    if (!d) return false;
    if (s.kind === 'msi') return !!d.msi && s.index >= 0 && s.index < msiVectorCount(Math.min(Math.max(d.msi.mme, 0), 5));
    if (s.kind === 'msix') return !!d.msix && s.index >= 0 && s.index < d.msix.tableSize;
    if (s.kind === 'ims') return !!d.ims && s.index >= 0 && s.index < d.ims.size;
    return false;
}

/** Machine-level checks of the `kvm` block: limits, duplicates, ranges, unknown irqfd sources, mapping. */
export function kvmMachineFindings(machine: Machine): Finding[] {
    const out: Finding[] = [];
    const kvm = machine.kvm;
    const routes = kvm.routes ?? [];
    const irqfds = kvm.irqfds ?? [];
    const mapping = gsiMappingOf(machine);
    const max = maxRoutesOf(machine);
    const kvmRef = kvm.id ? { id: kvm.id } : { id: machine.id };
    const cap = kvm.maxRoutes !== undefined && kvm.maxRoutes < KVM_MAX_IRQ_ROUTES ? `the VMM's cap of ${max}` : `KVM_MAX_IRQ_ROUTES (${max})`;

    if (mapping === 'direct' && machine.arch !== 'ppc64' && (routes.length || irqfds.length || kvm.gsiMapping === 'direct')) {
        out.push(
            makeFinding(
                'kvm-direct-mapping-unsupported',
                `${machine.name} is ${machine.arch}, but its KVM GSIs are declared directly mapped: direct mapping (GSI = XICS IRQ, kvm_gsi_direct_mapping) exists only on pseries; use routed mapping and give each vector an MSI route.`,
                { ...kvmRef, property: 'gsiMapping' },
            ),
        );
    }

    // Route count against the limit.
    if (routes.length > max) {
        out.push(
            makeFinding(
                'kvm-route-limit',
                `The GSI routing table has ${routes.length} entries, more than ${cap}: KVM_SET_GSI_ROUTING fails with EINVAL. Share vectors, use fewer MSI-X vectors per device, or raise the VMM's cap.`,
                kvmRef,
                [{ element: { id: routes[max].id }, message: `entry ${max + 1} of ${routes.length}: the first past the limit` }],
                routeLimitData(machine, routes.length, max),
            ),
        );
    } else if (routes.length >= Math.ceil(max * 0.9) && routes.length > 0) {
        out.push(
            makeFinding(
                'kvm-route-limit-near',
                `The GSI routing table has ${routes.length} entries, ${Math.floor((routes.length * 100) / max)} % of ${cap}: ${max - routes.length} more vector${max - routes.length === 1 ? '' : 's'} and KVM_SET_GSI_ROUTING fails. Leave headroom for hotplug and MSI-X enables.`,
                kvmRef,
                [],
                routeLimitData(machine, routes.length, max),
            ),
        );
    }

    // GSIs past the limit, duplicates.
    const seen = new Map<number, KvmRoute[]>();
    for (const r of routes) {
        if (!Number.isInteger(r.gsi) || r.gsi < 0 || r.gsi >= max) {
            out.push(
                makeFinding(
                    'kvm-gsi-out-of-range',
                    `Route GSI ${r.gsi} is not below ${cap}: KVM rejects the routing table. Use a GSI from 0 to ${max - 1}.`,
                    { id: r.id, property: 'gsi' },
                ),
            );
        }
        const prev = seen.get(r.gsi) ?? [];
        const clash = prev.find((p) => p.kind !== 'irqchip' || r.kind !== 'irqchip' || (p.irqchip ?? '') === (r.irqchip ?? ''));
        if (clash) {
            out.push(
                makeFinding(
                    'kvm-gsi-duplicate',
                    `GSI ${r.gsi} already has an ${routeText(clash)}; KVM allows one MSI route per GSI (and one route per irqchip), so KVM_SET_GSI_ROUTING fails with EINVAL. Give this ${routeText(r)} its own GSI.`,
                    { id: r.id, property: 'gsi' },
                    [{ element: { id: clash.id, property: 'gsi' }, message: `the first ${routeText(clash)} of GSI ${r.gsi}` }],
                ),
            );
        }
        prev.push(r);
        seen.set(r.gsi, prev);
        if (mapping === 'direct' && r.kind === 'msi' && machine.arch === 'ppc64') {
            out.push(
                makeFinding(
                    'kvm-route-ignored-direct',
                    `GSI ${r.gsi}: ${machine.name} maps GSIs directly (GSI = XICS IRQ), so no MSI route is allocated and this one is never used; bind the irqfd to the XICS IRQ instead, or remove the route.`,
                    { id: r.id },
                ),
            );
        }
    }

    // irqfds: GSI range (routed), unknown sources, duplicate sources.
    const devices = new Map(machine.devices.map((d) => [d.id, d]));
    const bySource = new Map<string, KvmIrqfd>();
    for (const f of irqfds) {
        if (mapping === 'routed' && (!Number.isInteger(f.gsi) || f.gsi < 0 || f.gsi >= max)) {
            out.push(makeFinding('kvm-gsi-out-of-range', `irqfd GSI ${f.gsi} is not below ${cap}: no route can exist for it. Use a GSI from 0 to ${max - 1}.`, { id: f.id, property: 'gsi' }));
        }
        if (!sourceExists(devices, f.source)) {
            const d = devices.get(f.source.device);
            out.push(
                makeFinding(
                    'kvm-irqfd-unknown-source',
                    d
                        ? `The irqfd names ${d.name}.${f.source.kind}[${f.source.index}], which ${d.name} does not have; bind it to an existing vector.`
                        : `The irqfd names device '${f.source.device}', which is not in ${machine.name}; bind it to an existing vector.`,
                    { id: f.id, property: 'source' },
                ),
            );
            continue;
        }
        const k = srcKey(f.source);
        const first = bySource.get(k);
        if (first) {
            const d = devices.get(f.source.device)!;
            out.push(
                makeFinding(
                    'kvm-irqfd-duplicate-source',
                    `${d.name}.${f.source.kind}[${f.source.index}] is already carried by the irqfd on GSI ${first.gsi}; the VMM keeps one irqfd per vector, so one of the two is stale. Remove one.`,
                    { id: f.id, property: 'source' },
                    [{ element: { id: first.id, property: 'source' }, message: `the irqfd on GSI ${first.gsi}` }],
                ),
            );
        } else bySource.set(k, f);
    }
    return out;
}

/**
 * A `max-routes` that fits `count` routes with headroom: the next power of two above the count, capped at
 * KVM_MAX_IRQ_ROUTES (the quick fix for kvm-route-limit / -near; above the cap nothing helps but fewer routes).
 */
export function suggestedRouteLimit(count: number): number {
    let n = 1;
    while (n <= count && n < KVM_MAX_IRQ_ROUTES) n *= 2;
    return Math.min(n, KVM_MAX_IRQ_ROUTES);
}

/**
 * Quick-fix data of the route-limit findings: a limit only when raising it to that helps; the groups of
 * identical MSI routes (`shareRoutes`, freeing `sharedRoutes` entries) only when there are any.
 */
function routeLimitData(machine: Machine, count: number, max: number): Record<string, unknown> {
    const suggested = suggestedRouteLimit(count);
    const data: Record<string, unknown> = suggested > max && suggested > count ? { routes: count, suggestedMaxRoutes: suggested } : { routes: count };
    const groups = shareableMsiRoutes(machine);
    if (groups.length) {
        data.shareRoutes = groups;
        data.sharedRoutes = groups.reduce((n, g) => n + g.share.length, 0);
    }
    return data;
}

/** A group of identical MSI routes: the one kept, and the others, whose irqfds move to the kept GSI. */
export interface SharedRouteGroup {
    keep: { gsi: number; route: ElementId };
    /**
     * The routes that can go. `irqfds`: the irqfds bound to the route's GSI, which fire the kept GSI instead
     * (listed once per GSI, on its first route here; empty when the GSI is the kept one).
     */
    share: { gsi: number; route: ElementId; irqfds: ElementId[] }[];
}

/**
 * MSI routes that carry the same message — address, data and devid, all that KVM keeps of an MSI route
 * (struct kvm_irq_routing_msi, copied by kvm_set_routing_entry from virt/kvm/irqchip.c
 * setup_routing_entry) — grouped, each group keeping its first route (the first whose GSI is below the
 * limit, when one is). The VMM allocates one GSI per vector (QEMU kvm_irqchip_add_msi_route), so vectors a
 * guest programs alike cost one entry each; one route fired by all their irqfds delivers the same. (When
 * the guest later reprograms one of them, the VMM must give it a route of its own again, as QEMU's
 * kvm_irqchip_update_msi_route would otherwise move all of them.)
 *
 * Left out: irqchip routes (a pin is not a message), MSI routes whose message is not complete, and every
 * route of a GSI that also holds another route (an irqchip pin or a different message), since its irqfds
 * would lose that route. With direct GSI mapping (pseries) the GSI is the XICS IRQ, not a route: nothing.
 */
export function shareableMsiRoutes(machine: Machine): SharedRouteGroup[] {
    const routes = machine.kvm.routes ?? [];
    if (gsiMappingOf(machine) !== 'routed' || routes.length < 2) return [];
    const key = (r: KvmRoute) => (r.kind === 'msi' && r.address !== undefined && r.data !== undefined ? `${r.address}\u0000${r.data}\u0000${r.devid ?? ''}` : undefined);
    // A GSI whose routes are all MSI routes with one message: its key; otherwise null (not shareable).
    const gsiKey = new Map<number, string | null>();
    for (const r of routes) {
        const k = key(r) ?? null;
        const prev = gsiKey.get(r.gsi);
        gsiKey.set(r.gsi, prev === undefined ? k : prev === k ? k : null);
    }
    const byKey = new Map<string, KvmRoute[]>();
    for (const r of routes) {
        const k = gsiKey.get(r.gsi);
        if (!k) continue;
        const l = byKey.get(k);
        if (l) l.push(r);
        else byKey.set(k, [r]);
    }
    const max = maxRoutesOf(machine);
    const inRange = (gsi: number) => Number.isInteger(gsi) && gsi >= 0 && gsi < max;
    const irqfdsByGsi = new Map<number, ElementId[]>();
    for (const f of machine.kvm.irqfds ?? []) {
        const l = irqfdsByGsi.get(f.gsi);
        if (l) l.push(f.id);
        else irqfdsByGsi.set(f.gsi, [f.id]);
    }
    const out: SharedRouteGroup[] = [];
    for (const group of byKey.values()) {
        if (group.length < 2) continue;
        const keep = group.find((r) => inRange(r.gsi)) ?? group[0];
        const moved = new Set<number>([keep.gsi]);
        const share: SharedRouteGroup['share'] = [];
        for (const r of group) {
            if (r === keep) continue;
            const irqfds = moved.has(r.gsi) ? [] : (irqfdsByGsi.get(r.gsi) ?? []);
            moved.add(r.gsi);
            share.push({ gsi: r.gsi, route: r.id, irqfds });
        }
        out.push({ keep: { gsi: keep.gsi, route: keep.id }, share });
    }
    return out;
}
