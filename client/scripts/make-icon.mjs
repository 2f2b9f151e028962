// Draws images/icon.png (128x128 RGBA): a dark rounded square, an edge-triggered signal along the bottom and an
// interrupt "bolt" arrow striking down onto a CPU pin. Written with node: builtins only, so the icon can be
// regenerated anywhere without an image library: `node client/scripts/make-icon.mjs [out.png]`.
// The output is deterministic (same bytes every run), so regenerating it does not churn the repository.
import { deflateSync } from 'node:zlib';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SIZE = 128;
const SS = 4; // supersamples per axis: smooth edges without a rasteriser

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] ?? resolve(here, '../../images/icon.png'));

const BG = [0x1b, 0x1f, 0x2b];
const FRAME = [0x2e, 0x36, 0x4a];
const SIGNAL = [0x4f, 0xc3, 0xc9];
const BOLT = [0xff, 0xb4, 0x3c];

// --- shapes, in a 0..128 coordinate space; each returns whether point (x, y) is inside -----------------------

function roundedRect(x0, y0, x1, y1, r) {
    return (x, y) => {
        if (x < x0 || x > x1 || y < y0 || y > y1) return false;
        const cx = Math.min(Math.max(x, x0 + r), x1 - r);
        const cy = Math.min(Math.max(y, y0 + r), y1 - r);
        return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
    };
}

/** Even-odd point-in-polygon test. */
function polygon(points) {
    return (x, y) => {
        let inside = false;
        for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
            const [xi, yi] = points[i];
            const [xj, yj] = points[j];
            if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
        }
        return inside;
    };
}

/** A polyline drawn with a round pen of width w. */
function stroke(points, w) {
    const r2 = (w / 2) ** 2;
    return (x, y) => {
        for (let i = 0; i + 1 < points.length; i++) {
            const [ax, ay] = points[i];
            const [bx, by] = points[i + 1];
            const dx = bx - ax;
            const dy = by - ay;
            const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
            if ((x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 <= r2) return true;
        }
        return false;
    };
}

const background = roundedRect(0, 0, 128, 128, 22);
const frame = roundedRect(4, 4, 124, 124, 19);
// A square wave: low, a rising edge (the interrupt), high, falling edge, low.
const signal = stroke([[14, 104], [40, 104], [40, 84], [70, 84], [70, 104], [114, 104]], 6);
// The bolt: a zig-zag arrow from the top right down to the rising edge.
const bolt = polygon([
    [84, 12], [50, 52], [66, 54], [44, 80], [42, 70], [36, 86], [52, 80], [44, 78], [82, 44], [66, 42], [96, 12],
]);

// Later layers paint over earlier ones.
const layers = [
    [frame, FRAME],
    [roundedRect(8, 8, 120, 120, 16), BG],
    [signal, SIGNAL],
    [bolt, BOLT],
];

const raw = Buffer.alloc(SIZE * (1 + SIZE * 4));
for (let py = 0; py < SIZE; py++) {
    const row = py * (1 + SIZE * 4);
    raw[row] = 0; // PNG filter type: None
    for (let px = 0; px < SIZE; px++) {
        let r = 0, g = 0, b = 0, covered = 0;
        for (let sy = 0; sy < SS; sy++) {
            for (let sx = 0; sx < SS; sx++) {
                const x = px + (sx + 0.5) / SS;
                const y = py + (sy + 0.5) / SS;
                if (!background(x, y)) continue;
                let c = BG;
                for (const [inside, colour] of layers) if (inside(x, y)) c = colour;
                r += c[0]; g += c[1]; b += c[2]; covered++;
            }
        }
        const o = row + 1 + px * 4;
        if (covered > 0) {
            raw[o] = Math.round(r / covered);
            raw[o + 1] = Math.round(g / covered);
            raw[o + 2] = Math.round(b / covered);
        }
        raw[o + 3] = Math.round((covered * 255) / (SS * SS));
    }
}

// --- PNG encoding ---------------------------------------------------------------------------------------------

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
});

function crc32(buf) {
    let c = 0xffffffff;
    for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
}

const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0);
ihdr.writeUInt32BE(SIZE, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // colour type: RGBA
ihdr[10] = 0; // compression: deflate
ihdr[11] = 0; // filter method
ihdr[12] = 0; // no interlace

const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
]);

mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, png);
console.log(`${out}: ${SIZE}x${SIZE}, ${png.length} bytes`);
