// Windows BMP, read and written here (no dependency). Reads the uncompressed forms: 1-, 4- and 8-bit
// palettes, 16-bit (5-5-5 or bit fields), 24-bit and 32-bit (plain or bit fields, with alpha when a mask
// says so), bottom-up or top-down, with the core (OS/2), info, V4 and V5 headers. RLE and embedded
// JPEG/PNG are refused. Writes 24-bit for opaque images and 32-bit with an alpha mask (V4 header) otherwise.
import { FunctionError } from "../../types.js";
import { hasTransparency, type Raster } from "./raster.js";

const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;

function invalid(source: string, why: string): FunctionError {
  return new FunctionError("INVALID_INPUT", `input ${source} is not a valid BMP image: ${why}`);
}

export interface BmpHeader {
  readonly width: number;
  readonly height: number;
  readonly topDown: boolean;
  readonly headerSize: number;
  readonly bpp: number;
  readonly compression: number;
  readonly paletteCount: number;
  readonly dataOffset: number;
}

export function readBmpHeader(b: Uint8Array, source: string): BmpHeader {
  if (b.length < 26 || b[0] !== 0x42 || b[1] !== 0x4d) throw invalid(source, "no BMP header");
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  const dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  let width: number;
  let rawHeight: number;
  let bpp: number;
  let compression = BI_RGB;
  let paletteCount = 0;
  if (headerSize === 12) {
    width = view.getUint16(18, true);
    rawHeight = view.getInt16(20, true);
    bpp = view.getUint16(24, true);
  } else if (headerSize >= 40 && headerSize <= 124 && b.length >= 14 + 40) {
    width = view.getInt32(18, true);
    rawHeight = view.getInt32(22, true);
    bpp = view.getUint16(28, true);
    compression = view.getUint32(30, true);
    paletteCount = view.getUint32(46, true);
  } else throw invalid(source, `unsupported header size ${headerSize}`);
  if (width <= 0 || rawHeight === 0 || rawHeight === -2147483648) throw invalid(source, "bad dimensions");
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) throw invalid(source, `unsupported ${bpp} bits per pixel`);
  if (compression !== BI_RGB && compression !== BI_BITFIELDS && compression !== BI_ALPHABITFIELDS)
    throw invalid(source, "compressed BMP (RLE, JPEG or PNG inside) is not supported");
  if (compression !== BI_RGB && bpp !== 16 && bpp !== 32)
    throw invalid(source, "bit fields need 16 or 32 bits");
  return {
    width,
    height: Math.abs(rawHeight),
    topDown: rawHeight < 0,
    headerSize,
    bpp,
    compression,
    paletteCount,
    dataOffset,
  };
}

/** The masks of a bit-field image: red, green, blue, alpha (alpha 0 = opaque). */
function masks(b: Uint8Array, h: BmpHeader, source: string): [number, number, number, number] {
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  if (h.compression === BI_RGB)
    return h.bpp === 16 ? [0x7c00, 0x03e0, 0x001f, 0] : [0x00ff0000, 0x0000ff00, 0x000000ff, 0];
  // Masks follow an info header, or sit inside V2+ headers at the same place.
  const at = 14 + 40;
  const withAlpha = h.compression === BI_ALPHABITFIELDS || h.headerSize >= 56;
  if (b.length < at + (withAlpha ? 16 : 12)) throw invalid(source, "truncated bit masks");
  const m = [0, 1, 2, 3].map((k) => (k < 3 || withAlpha ? view.getUint32(at + 4 * k, true) : 0));
  return [m[0]!, m[1]!, m[2]!, m[3]!];
}

function channel(value: number, mask: number): number {
  if (mask === 0) return 0;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const max = mask >>> shift;
  return Math.round((((value & mask) >>> shift) * 255) / max);
}

export function decodeBmp(b: Uint8Array, source: string): Raster {
  const h = readBmpHeader(b, source);
  const { width, height, bpp } = h;
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  if (h.dataOffset + stride * height > b.length) throw invalid(source, "truncated pixel data");
  const data = new Uint8Array(width * height * 4);
  let palette: Uint8Array | undefined;
  if (bpp <= 8) {
    const entry = h.headerSize === 12 ? 3 : 4;
    const count = h.paletteCount || 1 << bpp;
    const at = 14 + h.headerSize;
    if (count > 1 << bpp || at + count * entry > h.dataOffset) throw invalid(source, "bad palette");
    palette = new Uint8Array(256 * 4);
    for (let k = 0; k < 256; k++) palette[k * 4 + 3] = 255; // indices past the palette read as opaque black
    for (let k = 0; k < count; k++) {
      palette[k * 4] = b[at + k * entry + 2]!;
      palette[k * 4 + 1] = b[at + k * entry + 1]!;
      palette[k * 4 + 2] = b[at + k * entry]!;
      palette[k * 4 + 3] = 255;
    }
  }
  const [rm, gm, bm, am] = bpp === 16 || bpp === 32 ? masks(b, h, source) : [0, 0, 0, 0];
  for (let y = 0; y < height; y++) {
    const row = h.dataOffset + (h.topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const out = (y * width + x) * 4;
      if (palette) {
        const bit = x * bpp;
        const byte = b[row + (bit >> 3)]!;
        const index = (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        data.set(palette.subarray(index * 4, index * 4 + 4), out);
      } else if (bpp === 24) {
        const p = row + x * 3;
        data[out] = b[p + 2]!;
        data[out + 1] = b[p + 1]!;
        data[out + 2] = b[p]!;
        data[out + 3] = 255;
      } else {
        const p = row + x * (bpp / 8);
        const v =
          bpp === 16
            ? b[p]! | (b[p + 1]! << 8)
            : (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
        data[out] = channel(v, rm);
        data[out + 1] = channel(v, gm);
        data[out + 2] = channel(v, bm);
        data[out + 3] = am ? channel(v, am) : 255;
      }
    }
  }
  return { width, height, data };
}

export function encodeBmp(image: Raster): Buffer {
  const { width, height, data } = image;
  const alpha = hasTransparency(image);
  const bpp = alpha ? 32 : 24;
  const headerSize = alpha ? 108 : 40;
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  const offset = 14 + headerSize;
  const out = Buffer.alloc(offset + stride * height);
  out.write("BM", 0, "latin1");
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(offset, 10);
  out.writeUInt32LE(headerSize, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22); // positive: bottom-up rows, the most widely read layout
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(bpp, 28);
  out.writeUInt32LE(alpha ? BI_BITFIELDS : BI_RGB, 30);
  out.writeUInt32LE(stride * height, 34);
  out.writeInt32LE(2835, 38); // 72 dpi
  out.writeInt32LE(2835, 42);
  if (alpha) {
    out.writeUInt32LE(0x00ff0000, 54);
    out.writeUInt32LE(0x0000ff00, 58);
    out.writeUInt32LE(0x000000ff, 62);
    out.writeUInt32LE(0xff000000, 66);
    out.write("BGRs", 70, "latin1"); // colour space LCS_sRGB, stored little-endian as "sRGB"
  }
  for (let y = 0; y < height; y++) {
    let p = offset + (height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      out[p++] = data[i + 2]!;
      out[p++] = data[i + 1]!;
      out[p++] = data[i]!;
      if (alpha) out[p++] = data[i + 3]!;
    }
  }
  return out;
}
