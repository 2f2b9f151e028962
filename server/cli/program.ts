/**
 * The command-line program: argument parsing (commander) and the mapping of every way a run can end to
 * an exit status (errors.ts). Commands live in their own files and return their status; anything a
 * command cannot do is a CliError; commander's own complaints (unknown command or option, missing
 * argument, bad --profile) become exit 2 with the usage shown, help and version exit 0.
 */
import { Command, CommanderError, Option } from 'commander';
import { checkCommand } from './check-command.js';
import { conformanceCommand } from './conformance-command.js';
import { decodeCommand } from './decode-command.js';
import type { Profile } from './engine.js';
import { CliError, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE } from './errors.js';
import { processOutput, type Output } from './output.js';
import { routeCommand } from './route-command.js';
import { toolVersion } from './version.js';

export const TOOL_NAME = 'irq-topology';

function profileOption(): Option {
    return new Option('--profile <profile>', 'which model of the hardware to follow: the specifications, or QEMU/KVM with their known divergences')
        .choices(['spec', 'qemu'])
        .default('spec');
}

function jsonOption(description: string): Option {
    return new Option('--json', description);
}

/** Commander writes whole chunks ending in a newline; Output takes lines. */
function chunkWriter(write: (line: string) => void): (chunk: string) => void {
    return (chunk) => write(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk);
}

export function buildProgram(out: Output, setExit: (code: number) => void): Command {
    const program = new Command(TOOL_NAME);
    // Before any subcommand is added: subcommands copy these settings from their parent.
    program
        .exitOverride()
        .configureOutput({ writeOut: chunkWriter(out.stdout), writeErr: chunkWriter(out.stderr) })
        .showHelpAfterError()
        .allowExcessArguments(false)
        .description('Check, trace and decode interrupt routing (x86 MSI, Intel VT-d interrupt remapping, MSI/MSI-X/IMS, pseries PHB and XICS, KVM GSI routing) of .irq topologies.')
        .version(toolVersion(), '-V, --version', 'print the version')
        .helpOption('-h, --help', 'show help')
        .addHelpText(
            'after',
            `
Exit status: 0 nothing wrong; 1 problems found (an error diagnostic, a failing conformance case, a
route that faults); 2 bad arguments or a file that cannot be read or is not what the command expects;
3 internal error.

Examples:
  ${TOOL_NAME} check examples/*.irq
  ${TOOL_NAME} route q35.irq nic.msix[0] --profile qemu
  ${TOOL_NAME} route guest.irq signal ipi0
  ${TOOL_NAME} decode 0xfee0_0010 0x0 --irte 0x0000_0001_0041_0001 0x0000_0000_0004_0018 --eim
  ${TOOL_NAME} conformance routing-cases.json --json`,
        );

    program
        .command('check')
        .description('report the diagnostics of .irq files, as a compiler prints them')
        .argument('<files...>', '.irq files to check')
        .addOption(profileOption())
        .addOption(jsonOption('print [{file, diagnostics: [{line, column, endLine, endColumn, severity, code, message, related}]}]'))
        .action(async (files: string[], opts: { profile: Profile; json?: boolean }) => {
            setExit(await checkCommand(files, opts, out));
        });

    program
        .command('route')
        .description('trace one interrupt source stage by stage and print its outcome')
        .argument('<file>', '.irq file')
        .argument('<source>', 'DEVICE.msi[N], DEVICE.msix[N] or DEVICE.ims[N], e.g. nic.msix[0]; or `signal` for a KVM_SIGNAL_MSI')
        .argument('[name]', 'after `signal`: the KVM_SIGNAL_MSI\'s name (or kvm.signal[N] for an unnamed one)')
        .option('--machine <name>', 'the machine to route in (needed when the file has several)')
        .addOption(profileOption())
        .addOption(jsonOption('print the trace as JSON'))
        .action(async (file: string, source: string, name: string | undefined, opts: { profile: Profile; machine?: string; json?: boolean }, command: Command) => {
            // `signal ipi0` arrives as two words unless quoted: one source either way. After any other
            // source a third word is what it always was: one argument too many.
            if (name !== undefined && source !== 'signal') {
                command.error(`error: too many arguments for 'route'. Expected 2 arguments but got 3.`, { code: 'commander.excessArguments', exitCode: EXIT_USAGE });
            }
            setExit(await routeCommand(file, name === undefined ? source : `${source} ${name}`, opts, out));
        });

    program
        .command('decode')
        .description('decode an MSI address and data word (and, for a remappable address, an IRTE and its remapping)')
        .argument('<address>', 'message address, hex (0xfee0_0010) or decimal, up to 64 bits')
        .argument('<data>', 'message data, hex or decimal, up to 32 bits')
        .option('--irte <words...>', 'the IRTE the request selects, two numbers: LO (bits 63:0) and HI (bits 127:64)')
        .option('--eim', 'the IOMMU runs in extended interrupt mode (32-bit destination IDs)')
        .option('--posted', 'the IOMMU supports posted interrupts')
        .option('--sid <requester>', 'requester id of the write, bb:dd.f or a 16-bit number (default: none, source-id check skipped)')
        .addOption(profileOption())
        .addOption(jsonOption('print the decodes (and the remapping result) as JSON'))
        .action((address: string, data: string, opts: { profile: Profile; irte?: string[]; eim?: boolean; posted?: boolean; sid?: string; json?: boolean }) => {
            setExit(decodeCommand(address, data, opts, out));
        });

    program
        .command('conformance')
        .description('run a routing conformance cases file through the engine')
        .argument('<file>', 'cases file (schema 1, see test/fixtures/conformance/README.md)')
        .addOption(profileOption())
        .addOption(jsonOption('print exactly one JSON object {"profile", "results": [{"id", "actual"}]}; exit 0 even if cases fail'))
        .action(async (file: string, opts: { profile: Profile; json?: boolean }) => {
            setExit(await conformanceCommand(file, opts, out));
        });

    return program;
}

/** Runs the tool on `argv` (the arguments after the program name) and returns the exit status. */
export async function runCli(argv: readonly string[], out: Output = processOutput): Promise<number> {
    let exitCode = EXIT_OK;
    const program = buildProgram(out, (code) => (exitCode = code));
    try {
        await program.parseAsync([...argv], { from: 'user' });
        return exitCode;
    } catch (e) {
        if (e instanceof CommanderError) {
            // Help and version asked for: success. Everything else commander rejects is a usage error
            // (commander has already printed its message and the usage).
            return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? EXIT_OK : EXIT_USAGE;
        }
        if (e instanceof CliError) {
            out.stderr(`${TOOL_NAME}: ${e.message}`);
            return e.exitCode;
        }
        out.stderr(`${TOOL_NAME}: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        return EXIT_INTERNAL;
    }
}
