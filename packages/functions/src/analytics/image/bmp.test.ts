import { test } from "node:test";
import assert from "node:assert/strict";
import { FunctionError } from "../../types.js";
import { decodeBmp, encodeBmp } from "./bmp.js";

/** A BMP file from its parts: info-style header of `headerSize` bytes, extra bytes after it, pixel rows. */
function bmp(options: {
  width: number;
  height: number;
  bpp: number;
  compression?: number;
  colours?: number;
  headerSize?: number;
  afterHeader?: number[];
  rows: number[][];
}): Buffer {
  const headerSize = options.headerSize ?? 40;
  const extra = Buffer.from(options.afterHeader ?? []);
  const pixels = Buffer.concat(options.rows.map((r) => Buffer.from(r)));
  const offset = 14 + headerSize + extra.length;
  const out = Buffer.alloc(offset + pixels.length);
  out.write("BM", 0, "latin1");
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(offset, 10);
  out.writeUInt32LE(headerSize, 14);
  out.writeInt32LE(options.width, 18);
  out.writeInt32LE(options.height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(options.bpp, 28);
  out.writeUInt32LE(options.compression ?? 0, 30);
  out.writeUInt32LE(options.colours ?? 0, 46);
  extra.copy(out, 14 + headerSize);
  pixels.copy(out, offset);
  return out;
}

const pixel = (image: { width: number; data: Uint8Array }, x: number, y: number) => [
  ...image.data.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 4),
];

test("a 4-bit palette image, stored bottom-up, is read with its palette", () => {
  const palette = [0, 0, 255, 0, /* red */ 0, 255, 0, 0 /* green */];
  // 3 × 2 pixels; rows padded to 4 bytes; the first stored row is the bottom one.
  const image = decodeBmp(
    bmp({
      width: 3,
      height: 2,
      bpp: 4,
      colours: 2,
      afterHeader: palette,
      rows: [
        [0x10, 0x10, 0, 0],
        [0x01, 0x00, 0, 0],
      ],
    }),
    "data_file",
  );
  assert.deepEqual(
    [pixel(image, 0, 0), pixel(image, 1, 0), pixel(image, 2, 0)],
    [
      [255, 0, 0, 255],
      [0, 255, 0, 255],
      [255, 0, 0, 255],
    ],
  );
  assert.deepEqual(
    [pixel(image, 0, 1), pixel(image, 1, 1), pixel(image, 2, 1)],
    [
      [0, 255, 0, 255],
      [255, 0, 0, 255],
      [0, 255, 0, 255],
    ],
  );
});

test("16-bit 5-6-5 bit fields, stored top-down, are scaled to 8 bits", () => {
  const masks = [0xf800, 0x07e0, 0x001f].flatMap((m) => [m & 255, (m >> 8) & 255, 0, 0]);
  const image = decodeBmp(
    bmp({
      width: 2,
      height: -1,
      bpp: 16,
      compression: 3,
      afterHeader: masks,
      rows: [[0x00, 0xf8, 0xe0, 0x07]],
    }),
    "data_file",
  );
  assert.deepEqual(
    [pixel(image, 0, 0), pixel(image, 1, 0)],
    [
      [255, 0, 0, 255],
      [0, 255, 0, 255],
    ],
  );
});

test("32-bit images with an alpha mask in a V5 header keep their alpha", () => {
  const header = Buffer.alloc(124 - 40);
  [0x00ff0000, 0x0000ff00, 0x000000ff, 0xff000000].forEach((m, k) => header.writeUInt32LE(m >>> 0, k * 4));
  const file = bmp({
    width: 1,
    height: 1,
    bpp: 32,
    compression: 3,
    headerSize: 124,
    rows: [[30, 20, 10, 128]],
  });
  header.copy(file, 14 + 40);
  assert.deepEqual(pixel(decodeBmp(file, "data_file"), 0, 0), [10, 20, 30, 128]);
});

test("the encoder writes 24-bit for opaque images and 32-bit with alpha otherwise, both read back exactly", () => {
  const data = new Uint8Array(5 * 3 * 4).map((_, i) => (i * 37) % 256);
  const opaque = new Uint8Array(data).map((v, i) => (i % 4 === 3 ? 255 : v));
  for (const [pixels, bpp] of [
    [opaque, 24],
    [data, 32],
  ] as const) {
    const file = encodeBmp({ width: 5, height: 3, data: pixels });
    assert.equal(file.readUInt16LE(28), bpp);
    assert.deepEqual(decodeBmp(file, "data_file").data, pixels);
  }
});

test("truncated, compressed and malformed files are refused", () => {
  const refuses = (file: Buffer, message: RegExp) =>
    assert.throws(
      () => decodeBmp(file, "data_file"),
      (e: unknown) => e instanceof FunctionError && e.code === "INVALID_INPUT" && message.test(e.message),
    );
  const good = bmp({
    width: 2,
    height: 2,
    bpp: 24,
    rows: [
      [1, 2, 3, 4, 5, 6, 0, 0],
      [1, 2, 3, 4, 5, 6, 0, 0],
    ],
  });
  refuses(good.subarray(0, good.length - 1), /truncated pixel data/);
  refuses(bmp({ width: 2, height: 2, bpp: 8, compression: 1, rows: [] }), /compressed BMP/);
  refuses(bmp({ width: 0, height: 2, bpp: 24, rows: [] }), /bad dimensions/);
  refuses(bmp({ width: 2, height: 2, bpp: 7, rows: [] }), /unsupported 7 bits per pixel/);
  refuses(bmp({ width: 2, height: 2, bpp: 24, headerSize: 64, rows: [] }).subarray(0, 20), /no BMP header/);
});
