/**
 * A small TextMate tokenizer for tests: enough of vscode-textmate's semantics (leftmost match wins, ties go to
 * the earlier pattern and to a rule's `end` before its nested patterns, captures with names and `patterns`,
 * `$n` in names, begin/end rules that span lines) to check what scopes the grammar gives sample lines.
 *
 * It runs the grammar's regexes with JavaScript's RegExp rather than Oniguruma. The grammar sticks to the
 * syntax both engines read alike (no \h, \G, \A, \z, atomic groups, possessive quantifiers or inline flags),
 * and `assertPortableRegex` enforces that, so a pattern that passes here means the same in VS Code.
 */

export interface CaptureRule {
    name?: string;
    patterns?: Rule[];
}
export type Captures = Record<string, CaptureRule>;

export interface Rule {
    name?: string;
    contentName?: string;
    match?: string;
    begin?: string;
    end?: string;
    while?: string;
    captures?: Captures;
    beginCaptures?: Captures;
    endCaptures?: Captures;
    patterns?: Rule[];
    include?: string;
}

export interface Grammar {
    scopeName: string;
    patterns: Rule[];
    repository?: Record<string, Rule>;
}

export interface Token {
    text: string;
    start: number;
    scopes: string[];
}

/** Oniguruma-only constructs that JavaScript would misread or reject. */
const NON_PORTABLE: [RegExp, string][] = [
    [/\\[hHGAzZK]/, 'an Oniguruma-only escape (\\h \\H \\G \\A \\z \\Z \\K)'],
    [/\(\?>/, 'an atomic group'],
    [/\(\?[imx-]+[):]/, 'inline flags'],
    [/[*+?}]\+/, 'a possessive quantifier'],
];

export function assertPortableRegex(source: string): void {
    // Ignore escaped backslashes so that `\\h` (a backslash then h) is not flagged.
    const unescaped = source.replace(/\\\\/g, '');
    for (const [re, what] of NON_PORTABLE) {
        if (re.test(unescaped)) throw new Error(`${JSON.stringify(source)} uses ${what}`);
    }
    new RegExp(source, 'dg');
}

/** Every regex source in the grammar, with a path for error messages. */
export function allRegexes(grammar: Grammar): { path: string; source: string }[] {
    const found: { path: string; source: string }[] = [];
    const visit = (rule: Rule, path: string): void => {
        for (const key of ['match', 'begin', 'end', 'while'] as const) {
            const source = rule[key];
            if (source !== undefined) found.push({ path: `${path}.${key}`, source });
        }
        rule.patterns?.forEach((r, i) => visit(r, `${path}.patterns[${i}]`));
        for (const key of ['captures', 'beginCaptures', 'endCaptures'] as const) {
            for (const [n, c] of Object.entries(rule[key] ?? {})) {
                c.patterns?.forEach((r, i) => visit(r, `${path}.${key}[${n}].patterns[${i}]`));
            }
        }
    };
    grammar.patterns.forEach((r, i) => visit(r, `patterns[${i}]`));
    for (const [name, r] of Object.entries(grammar.repository ?? {})) visit(r, `repository.${name}`);
    return found;
}

/** Every rule in the grammar (for checks on names and includes). */
export function allRules(grammar: Grammar): Rule[] {
    const rules: Rule[] = [];
    const visit = (rule: Rule): void => {
        rules.push(rule);
        rule.patterns?.forEach(visit);
        for (const key of ['captures', 'beginCaptures', 'endCaptures'] as const) {
            for (const c of Object.values(rule[key] ?? {})) {
                rules.push({ name: c.name });
                c.patterns?.forEach(visit);
            }
        }
    };
    grammar.patterns.forEach(visit);
    Object.values(grammar.repository ?? {}).forEach(visit);
    return rules;
}

interface Frame {
    rule: Rule;
    /** Scopes of the begin and end matches (the rule's name). */
    outer: string[];
    /** Scopes between them (plus contentName). */
    scopes: string[];
    end: RegExp;
    patterns: Rule[];
}

export class Tokenizer {
    private readonly regexCache = new Map<string, RegExp>();

    constructor(private readonly grammar: Grammar) {}

    /** Tokenizes lines in order, carrying begin/end rules (block comments, strings) from one line to the next. */
    tokenize(text: string): Token[][] {
        const stack: Frame[] = [];
        return text.split('\n').map(line => this.tokenizeLine(line, stack));
    }

    private tokenizeLine(line: string, stack: Frame[]): Token[] {
        const root = [this.grammar.scopeName];
        const charScopes: string[][] = Array.from({ length: line.length }, () => root);
        let pos = 0;
        while (pos <= line.length) {
            const frame = stack[stack.length - 1];
            const scopes = frame ? frame.scopes : root;
            const patterns = frame ? frame.patterns : this.flatten(this.grammar.patterns);
            // The end pattern competes with the nested patterns and wins ties (vscode-textmate's default).
            let best: { match: RegExpExecArray; rule: Rule | 'end' } | undefined;
            if (frame) {
                const m = this.exec(frame.end, line, pos);
                if (m) best = { match: m, rule: 'end' };
            }
            for (const rule of patterns) {
                const source = rule.match ?? rule.begin;
                if (source === undefined) continue;
                const m = this.exec(this.regex(source), line, pos);
                if (m && (!best || m.index < best.match.index)) best = { match: m, rule };
            }
            if (!best) {
                fill(charScopes, pos, line.length, scopes);
                break;
            }
            const m = best.match;
            fill(charScopes, pos, m.index, scopes);
            const end = m.index + m[0].length;
            if (best.rule === 'end') {
                const f = stack.pop()!;
                fill(charScopes, m.index, end, f.outer);
                this.applyCaptures(line, m, f.outer, f.rule.endCaptures ?? f.rule.captures, charScopes);
            } else if (best.rule.match !== undefined) {
                const inner = withName(scopes, expand(best.rule.name, m));
                fill(charScopes, m.index, end, inner);
                this.applyCaptures(line, m, inner, best.rule.captures, charScopes);
            } else {
                const rule = best.rule;
                const outer = withName(scopes, expand(rule.name, m));
                fill(charScopes, m.index, end, outer);
                this.applyCaptures(line, m, outer, rule.beginCaptures ?? rule.captures, charScopes);
                stack.push({
                    rule,
                    outer,
                    scopes: withName(outer, rule.contentName),
                    end: this.regex(rule.end!),
                    patterns: this.flatten(rule.patterns ?? []),
                });
            }
            // A zero-length match must not stall the scan.
            pos = end > pos ? end : pos + 1;
        }
        return merge(line, charScopes);
    }

    /** Names a rule's captures and runs capture `patterns` over the captured text (seeing the line up to its end). */
    private applyCaptures(line: string, m: RegExpExecArray, base: string[], captures: Captures | undefined, charScopes: string[][]): void {
        if (!captures || !m.indices) return;
        for (const [key, capture] of Object.entries(captures)) {
            const span = m.indices[Number(key)];
            if (!span || span[0] === span[1]) continue;
            const [s, e] = span;
            const scopes = withName(base, expand(capture.name, m));
            fill(charScopes, s, e, scopes);
            if (capture.patterns) this.scanRange(line.slice(0, e), s, this.flatten(capture.patterns), scopes, charScopes);
        }
    }

    /** Single-line scan of [from, text.length) with match rules only (what capture patterns need). */
    private scanRange(text: string, from: number, patterns: Rule[], scopes: string[], charScopes: string[][]): void {
        let pos = from;
        while (pos < text.length) {
            let best: { match: RegExpExecArray; rule: Rule } | undefined;
            for (const rule of patterns) {
                if (rule.match === undefined) continue;
                const m = this.exec(this.regex(rule.match), text, pos);
                if (m && (!best || m.index < best.match.index)) best = { match: m, rule };
            }
            if (!best || best.match[0].length === 0) return;
            const inner = withName(scopes, expand(best.rule.name, best.match));
            fill(charScopes, best.match.index, best.match.index + best.match[0].length, inner);
            this.applyCaptures(text, best.match, inner, best.rule.captures, charScopes);
            pos = best.match.index + best.match[0].length;
        }
    }

    /** Replaces `include`s by what they name, recursively, keeping pattern order. */
    private flatten(patterns: Rule[], seen: Set<string> = new Set()): Rule[] {
        const out: Rule[] = [];
        for (const rule of patterns) {
            if (rule.include === undefined) {
                out.push(rule);
                continue;
            }
            if (seen.has(rule.include)) continue;
            const target = this.resolveInclude(rule.include);
            const next = new Set(seen).add(rule.include);
            if (target.match !== undefined || target.begin !== undefined) out.push(target);
            else out.push(...this.flatten(target.patterns ?? [], next));
        }
        return out;
    }

    resolveInclude(include: string): Rule {
        if (include === '$self' || include === '$base') return { patterns: this.grammar.patterns };
        if (!include.startsWith('#')) throw new Error(`external include ${include} is not supported`);
        const target = this.grammar.repository?.[include.slice(1)];
        if (!target) throw new Error(`include ${include} names no repository entry`);
        return target;
    }

    private regex(source: string): RegExp {
        let re = this.regexCache.get(source);
        if (!re) {
            re = new RegExp(source, 'dg');
            this.regexCache.set(source, re);
        }
        return re;
    }

    private exec(re: RegExp, text: string, pos: number): RegExpExecArray | null {
        re.lastIndex = pos;
        return re.exec(text);
    }
}

/** vscode-textmate substitutes `$n` in a scope name with the text of capture n. */
function expand(name: string | undefined, m: RegExpExecArray): string | undefined {
    return name?.replace(/\$(\d+)/g, (_, n: string) => (m[Number(n)] ?? '').replace(/^\.+/, ''));
}

function withName(scopes: string[], name: string | undefined): string[] {
    return name ? [...scopes, ...name.split(/\s+/).filter(Boolean)] : scopes;
}

function fill(charScopes: string[][], from: number, to: number, scopes: string[]): void {
    for (let i = from; i < to && i < charScopes.length; i++) charScopes[i] = scopes;
}

function merge(line: string, charScopes: string[][]): Token[] {
    const tokens: Token[] = [];
    for (let i = 0; i < line.length; i++) {
        const last = tokens[tokens.length - 1];
        if (last && same(last.scopes, charScopes[i])) last.text += line[i];
        else tokens.push({ text: line[i], start: i, scopes: charScopes[i] });
    }
    return tokens;
}

function same(a: string[], b: string[]): boolean {
    return a.length === b.length && a.every((s, i) => s === b[i]);
}
