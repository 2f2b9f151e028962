/**
 * Linking errors that say what is missing in the user's terms ("nic has no MSI-X entry 7") instead of the
 * grammar's type names ("Could not resolve reference to VectorTarget named '7'").
 */
import { AstUtils, DefaultLinker, type AstNodeDescription, type LinkingError, type ReferenceInfo } from 'langium';
import { irteTableSize } from './symbol-tables.js';
import { isMachine, isScenario, type Machine, type UpdateEvent, type VectorRef } from '../generated/ast.js';

const STORE_NAMES: Record<string, string> = { msix: 'MSI-X table', ims: 'IMS store', msi: 'MSI capability' };
const ENTRY_NAMES: Record<string, string> = { msix: 'MSI-X entry', ims: 'IMS slot', msi: 'MSI vector' };

export class IrqLinker extends DefaultLinker {
    protected override createLinkingError(refInfo: ReferenceInfo, targetDescription?: AstNodeDescription): LinkingError {
        const error = super.createLinkingError(refInfo, targetDescription);
        if (targetDescription) return error; // found but not loadable: keep Langium's message
        const message = friendlyMessage(refInfo);
        return message ? { ...error, message } : error;
    }
}

function machineName(info: ReferenceInfo): string {
    const machine = AstUtils.getContainerOfType(info.container, isMachine)
        ?? AstUtils.getContainerOfType(info.container, isScenario)?.machine?.ref;
    return (machine as Machine | undefined)?.name ?? '?';
}

function friendlyMessage(info: ReferenceInfo): string | undefined {
    const text = info.reference.$refText;
    const { container, property } = info;
    switch (`${container.$type}.${property}`) {
        case 'Bus.iommu': return `There is no IOMMU '${text}' in machine ${machineName(info)}.`;
        case 'Bus.phb': return `There is no PHB '${text}' in machine ${machineName(info)}.`;
        case 'Bridge.secondary': return `There is no bus '${text}' in machine ${machineName(info)}.`;
        case 'Scenario.machine': return `There is no machine '${text}'.`;
        case 'VectorRef.device': return `There is no device '${text}' in machine ${machineName(info)}.`;
        case 'UpdateEvent.iommu':
        case 'InvalidateEvent.iommu': return `There is no IOMMU '${text}' in machine ${machineName(info)}.`;
        case 'FunctionMaskEvent.device':
        case 'EnableEvent.device':
        case 'DisableEvent.device': return `There is no device '${text}' in machine ${machineName(info)}.`;
        case 'UpdateEvent.irte': {
            // Every index inside the table resolves (an undeclared one to the IOMMU): only one past it is left.
            const iommu = (container as UpdateEvent).iommu?.ref;
            if (!iommu) return undefined;
            const entries = irteTableSize(iommu);
            return `${iommu.name} has no IRTE ${text}: its table holds ${entries} entries (0 to ${entries - 1}).`;
        }
        case 'VectorRef.entry': {
            const ref = container as VectorRef;
            const device = ref.device?.ref;
            if (!device) return undefined;
            const store = ref.kind === 'msix' ? device.msix : ref.kind === 'ims' ? device.ims : device.msi;
            if (!store) return `${device.name} has no ${STORE_NAMES[ref.kind] ?? ref.kind}.`;
            if (ref.kind === 'msi') {
                const count = device.msi?.vectors ?? 1n;
                return `${device.name} has no MSI vector ${text}: its MSI capability has ${count} vector${count === 1n ? '' : 's'}.`;
            }
            return `${device.name} has no ${ENTRY_NAMES[ref.kind]} ${text}.`;
        }
        default: return undefined;
    }
}
