/**
 * Exit statuses of the command-line tool, and the error that carries one.
 *
 * 0: done, nothing wrong found. 1: the tool ran and found problems (an error diagnostic, a failing
 * conformance case, a route that faults). 2: the tool could not do what was asked (bad arguments, a
 * missing or unreadable file, a file that is not what the command expects). 3: a bug in the tool.
 * Scripts rely on telling "found problems" from "could not run", so these never mix.
 */
export const EXIT_OK = 0;
export const EXIT_PROBLEMS = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 3;

/** Thrown by a command that cannot run; main prints `irq-topology: <message>` on stderr and exits with `exitCode`. */
export class CliError extends Error {
    constructor(
        message: string,
        readonly exitCode: number = EXIT_USAGE,
    ) {
        super(message);
        this.name = 'CliError';
    }
}
