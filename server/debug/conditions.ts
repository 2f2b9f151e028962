/**
 * Conditions of conditional breakpoints: comparisons of what the current step is about, joined with
 * `&&` / `||` (`&&` binds tighter), e.g. `vector == 0x41`, `cpu == 3 && source == nic.msix[1]`, `fault`.
 *
 * Names: vector, cpu, irte, dest, event (1-based), source ('nic.msix[1]'), stage ('interrupt-remapping'),
 * trigger ('edge' / 'level'), fault (the fault code, or absent), kind (the event's kind: 'fire', 'update-irte').
 * A name alone is true when the step has a value for it. Numbers may be hex (0x41) or decimal.
 */

export type ConditionValue = number | string | undefined;
/** What a step offers to conditions; a name with several values (the CPUs of a broadcast) matches any. */
export type ConditionContext = Record<string, ConditionValue | ConditionValue[]>;

export type Condition = (ctx: ConditionContext) => boolean;

export const CONDITION_NAMES = ['vector', 'cpu', 'irte', 'dest', 'event', 'source', 'stage', 'trigger', 'fault', 'kind'] as const;

type Op = '==' | '!=' | '<' | '<=' | '>' | '>=';

const TOKEN = /\s*(&&|\|\||==|!=|<=|>=|<|>|\(|\)|0[xX][0-9a-fA-F_]+|[0-9][0-9_]*|"[^"]*"|'[^']*'|[A-Za-z_][\w.\-[\]]*)/y;

/** Parses a condition; throws an Error whose message says what is wrong. */
export function parseCondition(text: string): Condition {
    const tokens: string[] = [];
    TOKEN.lastIndex = 0;
    let pos = 0;
    while (pos < text.length) {
        if (/^\s*$/.test(text.slice(pos))) break;
        TOKEN.lastIndex = pos;
        const m = TOKEN.exec(text);
        if (!m) throw new Error(`cannot read '${text.slice(pos).trim()}' in the condition`);
        tokens.push(m[1]);
        pos = TOKEN.lastIndex;
    }
    if (tokens.length === 0) throw new Error('the condition is empty');
    let i = 0;
    const peek = () => tokens[i];
    const next = () => tokens[i++];

    const orExpr = (): Condition => {
        let left = andExpr();
        while (peek() === '||') {
            next();
            const l = left;
            const r = andExpr();
            left = (c) => l(c) || r(c);
        }
        return left;
    };
    const andExpr = (): Condition => {
        let left = term();
        while (peek() === '&&') {
            next();
            const l = left;
            const r = term();
            left = (c) => l(c) && r(c);
        }
        return left;
    };
    const term = (): Condition => {
        const t = next();
        if (t === undefined) throw new Error('the condition ends too early');
        if (t === '(') {
            const inner = orExpr();
            if (next() !== ')') throw new Error('a ( is not closed');
            return inner;
        }
        if (!(CONDITION_NAMES as readonly string[]).includes(t)) {
            throw new Error(`unknown name '${t}'; conditions may use ${CONDITION_NAMES.join(', ')}`);
        }
        const name = t;
        const op = peek();
        if (op === undefined || op === '&&' || op === '||' || op === ')') {
            return (c) => values(c, name).some((v) => v !== undefined);
        }
        if (!['==', '!=', '<', '<=', '>', '>='].includes(op)) throw new Error(`expected a comparison after '${name}', found '${op}'`);
        next();
        const raw = next();
        if (raw === undefined) throw new Error(`expected a value after '${name} ${op}'`);
        const want = literal(raw);
        return (c) => {
            const vs = values(c, name);
            // `!=` holds when no value equals; the others when some value compares true.
            if (op === '!=') return vs.every((v) => !equal(v, want));
            return vs.some((v) => compare(v, op as Op, want));
        };
    };
    const cond = orExpr();
    if (i < tokens.length) throw new Error(`unexpected '${tokens[i]}' in the condition`);
    return cond;
}

function values(c: ConditionContext, name: string): ConditionValue[] {
    const v = c[name];
    return Array.isArray(v) ? v : [v];
}

function literal(raw: string): number | string {
    if (/^0[xX][0-9a-fA-F_]+$/.test(raw) || /^[0-9][0-9_]*$/.test(raw)) return Number(BigInt(raw.replace(/_/g, '')));
    if (/^["'].*["']$/.test(raw)) return raw.slice(1, -1);
    return raw;
}

function equal(v: ConditionValue, want: number | string): boolean {
    if (v === undefined) return false;
    if (typeof v === 'number' && typeof want === 'number') return v === want;
    return String(v) === String(want);
}

function compare(v: ConditionValue, op: Op, want: number | string): boolean {
    if (v === undefined) return false;
    if (op === '==') return equal(v, want);
    if (typeof v !== 'number' || typeof want !== 'number') return false;
    switch (op) {
        case '<':
            return v < want;
        case '<=':
            return v <= want;
        case '>':
            return v > want;
        case '>=':
            return v >= want;
        default:
            return false;
    }
}
