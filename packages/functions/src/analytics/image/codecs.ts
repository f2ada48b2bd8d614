// Recognising, measuring, decoding and encoding the image formats builtin-image-resize accepts. The size
// is read from the header before anything is decoded, so an oversized image (or a decompression bomb) is
// refused without allocating its pixels.
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { FunctionError } from "../../types.js";
import { decodeBmp, encodeBmp, readBmpHeader } from "./bmp.js";
import { decodeGif, encodeGif } from "./gif.js";
import type { Raster } from "./raster.js";

export const FORMATS = ["png", "jpeg", "gif", "bmp"] as const;
export type ImageFormat = (typeof FORMATS)[number];

export const FORMAT_NAMES: Record<ImageFormat, string> = { png: "PNG", jpeg: "JPEG", gif: "GIF", bmp: "BMP" };

export function sniffFormat(b: Uint8Array, source: string): ImageFormat {
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return "png";
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "jpeg";
  if (
    b.length >= 6 &&
    Buffer.from(b.subarray(0, 6))
      .toString("latin1")
      .match(/^GIF8[79]a$/)
  )
    return "gif";
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return "bmp";
  throw new FunctionError("INVALID_INPUT", `input ${source} is not a PNG, JPEG, GIF or BMP image`);
}

/** Width and height from the header alone. */
export function imageSize(
  b: Uint8Array,
  format: ImageFormat,
  source: string,
): { width: number; height: number } {
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  const bad = () =>
    new FunctionError("INVALID_INPUT", `input ${source} is not a valid ${FORMAT_NAMES[format]} image`);
  let size: { width: number; height: number } | undefined;
  if (format === "png") {
    if (b.length >= 24 && Buffer.from(b.subarray(12, 16)).toString("latin1") === "IHDR")
      size = { width: view.getUint32(16), height: view.getUint32(20) };
  } else if (format === "gif") {
    if (b.length >= 10) size = { width: view.getUint16(6, true), height: view.getUint16(8, true) };
  } else if (format === "bmp") size = readBmpHeader(b, source);
  else size = jpegSize(b, view);
  if (!size || size.width === 0 || size.height === 0) throw bad();
  return { width: size.width, height: size.height };
}

function jpegSize(b: Uint8Array, view: DataView): { width: number; height: number } | undefined {
  let at = 2;
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) return undefined;
    const marker = b[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    const length = view.getUint16(at + 2);
    // Start of frame: every SOFn except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (at + 9 > b.length) return undefined;
      return { height: view.getUint16(at + 5), width: view.getUint16(at + 7) };
    }
    if (marker === 0xda || marker === 0xd9) return undefined; // scan or end before any frame header
    at += 2 + length;
  }
  return undefined;
}

export function decodeImage(b: Uint8Array, format: ImageFormat, source: string, maxPixels: number): Raster {
  const bad = () =>
    new FunctionError("INVALID_INPUT", `input ${source} is not a valid ${FORMAT_NAMES[format]} image`);
  let image: Raster;
  switch (format) {
    case "png":
      try {
        const png = PNG.sync.read(Buffer.from(b.buffer, b.byteOffset, b.length));
        image = { width: png.width, height: png.height, data: png.data };
      } catch {
        throw bad();
      }
      break;
    case "jpeg":
      try {
        image = jpeg.decode(b, {
          useTArray: true,
          formatAsRGBA: true,
          maxResolutionInMP: maxPixels / 1e6,
          maxMemoryUsageInMB: Math.ceil((maxPixels * 12) / 2 ** 20) + 64,
        });
      } catch {
        throw bad();
      }
      break;
    case "gif":
      image = decodeGif(b, source);
      break;
    case "bmp":
      image = decodeBmp(b, source);
      break;
  }
  if (image.data.length !== image.width * image.height * 4) throw bad();
  return image;
}

export function encodeImage(image: Raster, format: ImageFormat, quality: number): Buffer {
  switch (format) {
    case "png": {
      const png = new PNG({ width: image.width, height: image.height });
      png.data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length);
      return PNG.sync.write(png);
    }
    case "jpeg":
      return jpeg.encode({ width: image.width, height: image.height, data: overWhite(image) }, quality).data;
    case "gif":
      return encodeGif(image);
    case "bmp":
      return encodeBmp(image);
  }
}

/** JPEG has no alpha channel: transparent areas are composited over white. */
function overWhite({ data }: Raster): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let p = 0; p < data.length; p += 4) {
    const a = data[p + 3]! / 255;
    for (let c = 0; c < 3; c++) out[p + c] = Math.round(data[p + c]! * a + 255 * (1 - a));
    out[p + 3] = 255;
  }
  return out;
}
