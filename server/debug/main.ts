/**
 * The IRQ Topology debug adapter. esbuild bundles this file to out/debug-adapter.cjs; VS Code (and the
 * protocol tests) start it with `node out/debug-adapter.cjs` and speak the Debug Adapter Protocol over
 * stdin / stdout.
 */
import { IrqDebugSession } from './session.js';

// stdout carries the protocol: anything a library logs goes to stderr instead.
console.log = console.info = console.debug = (...args: unknown[]) => console.error(...args);

const session = new IrqDebugSession();
process.on('SIGTERM', () => session.shutdown());
session.start(process.stdin, process.stdout);
