/**
 * A persistent sparse array of non-negative integer keys: `get` and `set` walk a 32-way trie (O(log32 n)),
 * and `set` returns a new array that shares every untouched node with the old one.
 *
 * Why: the simulator keeps the machine state after every event so that the debugger can step back and
 * reverse-continue. Copying the state (vector masks and pending bits, per-CPU IRR/ISR, the interrupt entry
 * cache) per event would make a million-event scenario quadratic; with path copying an event costs a few
 * 32-slot nodes, whatever the size of the machine.
 */

const BITS = 5;
const WIDTH = 1 << BITS;
const MASK = WIDTH - 1;

type Node<T> = (Node<T> | T | undefined)[];

export class PArray<T> {
    /** Keys below this fit the trie: 2^(shift + 5). */
    private readonly limit: number;

    private constructor(
        /** Bits of key below the root's fan-out: the trie holds keys < 2^(shift + 5). */
        private readonly shift: number,
        private readonly root: Node<T> | undefined,
        /** Number of keys holding a value. */
        readonly size: number,
    ) {
        this.limit = 2 ** (shift + BITS);
    }

    private static readonly EMPTY = new PArray<never>(0, undefined, 0);

    static empty<T>(): PArray<T> {
        return PArray.EMPTY as PArray<T>;
    }

    get(key: number): T | undefined {
        if (this.root === undefined || key < 0 || key >= this.limit) return undefined;
        let node: Node<T> | undefined = this.root;
        for (let s = this.shift; s > 0; s -= BITS) {
            node = node[(key >>> s) & MASK] as Node<T> | undefined;
            if (node === undefined) return undefined;
        }
        return node[key & MASK] as T | undefined;
    }

    has(key: number): boolean {
        return this.get(key) !== undefined;
    }

    /** A new array with `key` set to `value` (`undefined` removes it). Returns `this` when nothing changes. */
    set(key: number, value: T | undefined): PArray<T> {
        if (!Number.isInteger(key) || key < 0 || key > 0x7fff_ffff) throw new RangeError(`PArray key must be 0..2^31-1, got ${key}`);
        const old = this.get(key);
        if (old === value) return this;
        let shift = this.shift;
        let root = this.root;
        // Grow the trie until the key fits (a new root whose slot 0 is the old root).
        while (key >= 2 ** (shift + BITS)) {
            if (root !== undefined) {
                const up: Node<T> = new Array(WIDTH);
                up[0] = root;
                root = up;
            }
            shift += BITS;
        }
        const newRoot = setIn(root, shift, key, value);
        const size = this.size + (old === undefined ? 1 : 0) - (value === undefined ? 1 : 0);
        return size === 0 ? PArray.empty<T>() : new PArray<T>(shift, newRoot, size);
    }

    /** Calls `f` for every (key, value), in key order (cheaper than iterating entries()). */
    forEach(f: (value: T, key: number) => void): void {
        if (this.root !== undefined) each(this.root, this.shift, 0, f);
    }

    /** Every (key, value), in key order. */
    *entries(): IterableIterator<[number, T]> {
        if (this.root === undefined) return;
        yield* walk(this.root, this.shift, 0);
    }
}

function setIn<T>(node: Node<T> | undefined, shift: number, key: number, value: T | undefined): Node<T> | undefined {
    const copy: Node<T> = node ? node.slice() : new Array(WIDTH);
    const i = (key >>> shift) & MASK;
    const child = shift === 0 ? value : setIn(copy[i] as Node<T> | undefined, shift - BITS, key, value);
    copy[i] = child;
    if (child !== undefined) return copy;
    // An emptied node is dropped, so a removed key leaves no garbage behind.
    for (let j = 0; j < WIDTH; j++) if (copy[j] !== undefined) return copy;
    return undefined;
}

function* walk<T>(node: Node<T>, shift: number, base: number): IterableIterator<[number, T]> {
    for (let i = 0; i < WIDTH; i++) {
        const child = node[i];
        if (child === undefined) continue;
        const key = base + i * 2 ** shift;
        if (shift === 0) yield [key, child as T];
        else yield* walk(child as Node<T>, shift - BITS, key);
    }
}

function each<T>(node: Node<T>, shift: number, base: number, f: (value: T, key: number) => void): void {
    for (let i = 0; i < WIDTH; i++) {
        const child = node[i];
        if (child === undefined) continue;
        const key = base + i * 2 ** shift;
        if (shift === 0) f(child as T, key);
        else each(child as Node<T>, shift - BITS, key, f);
    }
}
