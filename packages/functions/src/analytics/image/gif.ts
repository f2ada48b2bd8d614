// GIF through omggif, plus the colour reduction GIF needs: at most 256 palette entries, one of them
// transparent. Images with few colours keep them exactly; others are reduced by median cut over a
// 5-bit-per-channel histogram (no dithering). Pixels with alpha below 128 become transparent.
import omggif from "omggif";
import { FunctionError } from "../../types.js";
import type { Raster } from "./raster.js";

export function decodeGif(b: Uint8Array, source: string): Raster {
  try {
    const reader = new omggif.GifReader(b);
    const data = new Uint8Array(reader.width * reader.height * 4);
    // The first frame only: an animation is reduced to its first picture.
    reader.decodeAndBlitFrameRGBA(0, data);
    return { width: reader.width, height: reader.height, data };
  } catch {
    throw new FunctionError("INVALID_INPUT", `input ${source} is not a valid GIF image`);
  }
}

export function encodeGif(image: Raster): Buffer {
  const { width, height } = image;
  const { palette, indices, transparent } = quantize(image);
  let size = 2;
  while (size < palette.length) size *= 2;
  const padded = [...palette, ...new Array<number>(size - palette.length).fill(0)];
  // LZW output never exceeds ~1.5 bytes per pixel with 12-bit codes; add room for headers and blocks.
  const out = Buffer.alloc(Math.ceil(width * height * 1.6) + size * 3 + 1024);
  const writer = new omggif.GifWriter(out, width, height, { palette: padded });
  writer.addFrame(0, 0, width, height, Array.from(indices), transparent >= 0 ? { transparent } : {});
  return out.subarray(0, writer.end());
}

interface Quantized {
  /** 0xRRGGBB colours. */
  readonly palette: number[];
  readonly indices: Uint8Array;
  /** The transparent index, or -1. */
  readonly transparent: number;
}

export function quantize({ width, height, data }: Raster): Quantized {
  const n = width * height;
  const indices = new Uint8Array(n);
  let anyTransparent = false;
  for (let p = 0; p < n; p++) if (data[p * 4 + 3]! < 128) anyTransparent = true;
  const room = anyTransparent ? 255 : 256;

  const exact = new Map<number, number>();
  for (let p = 0; p < n && exact.size <= room; p++) {
    if (data[p * 4 + 3]! < 128) continue;
    const rgb = (data[p * 4]! << 16) | (data[p * 4 + 1]! << 8) | data[p * 4 + 2]!;
    if (!exact.has(rgb)) exact.set(rgb, exact.size);
  }
  let palette: number[];
  let lookup: (p: number) => number;
  if (exact.size <= room) {
    palette = [...exact.keys()];
    lookup = (p) => exact.get((data[p * 4]! << 16) | (data[p * 4 + 1]! << 8) | data[p * 4 + 2]!)!;
  } else {
    const reduced = medianCut(data, n, room);
    palette = reduced.palette;
    lookup = (p) => reduced.binIndex[bin(data, p)]!;
  }
  const transparent = anyTransparent ? palette.length : -1;
  if (anyTransparent) palette = [...palette, 0];
  if (palette.length < 2) palette = [...palette, 0];
  for (let p = 0; p < n; p++) indices[p] = data[p * 4 + 3]! < 128 ? transparent : lookup(p);
  return { palette, indices, transparent };
}

function bin(data: Uint8Array, p: number): number {
  return ((data[p * 4]! >> 3) << 10) | ((data[p * 4 + 1]! >> 3) << 5) | (data[p * 4 + 2]! >> 3);
}

interface Box {
  bins: number[];
  count: number;
  widest?: { channel: number; range: number };
}

const channelOf = (b: number, c: number) => (b >> (10 - 5 * c)) & 31;

function widestChannel(bins: number[]): { channel: number; range: number } {
  let channel = 0;
  let range = -1;
  for (let c = 0; c < 3; c++) {
    let lo = 31;
    let hi = 0;
    for (const b of bins) {
      lo = Math.min(lo, channelOf(b, c));
      hi = Math.max(hi, channelOf(b, c));
    }
    if (hi - lo > range) {
      range = hi - lo;
      channel = c;
    }
  }
  return { channel, range };
}

function medianCut(data: Uint8Array, n: number, colours: number) {
  const count = new Float64Array(32768);
  const sums = new Float64Array(32768 * 3);
  for (let p = 0; p < n; p++) {
    if (data[p * 4 + 3]! < 128) continue;
    const b = bin(data, p);
    count[b]!++;
    sums[b * 3]! += data[p * 4]!;
    sums[b * 3 + 1]! += data[p * 4 + 1]!;
    sums[b * 3 + 2]! += data[p * 4 + 2]!;
  }
  const used: number[] = [];
  count.forEach((c, b) => c > 0 && used.push(b));
  const boxes: Box[] = [{ bins: used, count: used.reduce((s, b) => s + count[b]!, 0) }];
  while (boxes.length < colours) {
    // Split the box with the most pixels × widest channel range (where the palette errs most), along
    // that channel, at the median pixel.
    let pick = -1;
    let pickScore = 0;
    for (let i = 0; i < boxes.length; i++) {
      const box = boxes[i]!;
      if (box.bins.length < 2) continue;
      box.widest ??= widestChannel(box.bins);
      const score = box.count * box.widest.range;
      if (score > pickScore) {
        pick = i;
        pickScore = score;
      }
    }
    if (pick < 0) break;
    const box = boxes[pick]!;
    const widest = box.widest!.channel;
    box.bins.sort((a, b) => channelOf(a, widest) - channelOf(b, widest) || a - b);
    let half = 0;
    let cut = 0;
    while (cut < box.bins.length - 1 && half + count[box.bins[cut]!]! <= box.count / 2)
      half += count[box.bins[cut++]!]!;
    cut = Math.max(cut, 1);
    const left = box.bins.slice(0, cut);
    const right = box.bins.slice(cut);
    const leftCount = left.reduce((s, b) => s + count[b]!, 0);
    boxes.splice(pick, 1, { bins: left, count: leftCount }, { bins: right, count: box.count - leftCount });
  }
  const palette: number[] = [];
  const binIndex = new Uint8Array(32768);
  boxes.forEach((box, i) => {
    const rgb = [0, 0, 0];
    for (const b of box.bins) {
      binIndex[b] = i;
      for (let c = 0; c < 3; c++) rgb[c]! += sums[b * 3 + c]!;
    }
    const [r, g, b] = rgb.map((v) => Math.round(v / box.count));
    palette.push((r! << 16) | (g! << 8) | b!);
  });
  return { palette, binIndex };
}
