import { test } from "node:test";
import assert from "node:assert/strict";
import jpeg from "jpeg-js";
import omggif from "omggif";
import { PNG } from "pngjs";
import { createMemoryContext } from "../../memory-context.js";
import { SeededRandom } from "../common/random.js";
import { python, refused } from "../test-support.js";
import { decodeBmp, encodeBmp } from "./bmp.js";
import { encodeImage } from "./codecs.js";
import { FILTER } from "./filters.js";
import type { Raster } from "./raster.js";
import { resample } from "./resample.js";
import { createImageResizeFunction } from "./resize.js";

const resize = createImageResizeFunction();

/** A photo-like test card: gradients, texture and hard edges, opaque unless `alpha` says otherwise. */
function testCard(width: number, height: number, seed = 1, alpha?: (x: number, y: number) => number): Raster {
  const random = new SeededRandom(seed);
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 4;
      const edge = x > width / 3 && y > height / 2 ? 90 : 0;
      data[p] = Math.round((x * 255) / width);
      data[p + 1] = Math.min(255, Math.round((y * 200) / height) + edge);
      data[p + 2] = Math.round(128 + 60 * Math.sin(x / 3) * Math.cos(y / 5) + 20 * (random.next() - 0.5));
      data[p + 3] = alpha ? alpha(x, y) : 255;
    }
  return { width, height, data };
}

function png(image: Raster): Buffer {
  return encodeImage(image, "png", 75);
}

async function run(input: Uint8Array, args: Record<string, unknown>) {
  const ctx = createMemoryContext({ args, inputs: { data_file: input }, outputs: ["result_file"] });
  const summary = await resize.run(ctx);
  return { summary, output: ctx.output("result_file") };
}

function readPng(b: Buffer): Raster {
  const p = PNG.sync.read(b);
  return { width: p.width, height: p.height, data: p.data };
}

function rgb(image: Raster): Buffer {
  const out = Buffer.alloc(image.width * image.height * 3);
  for (let p = 0; p < image.width * image.height; p++) out.set(image.data.subarray(p * 4, p * 4 + 3), p * 3);
  return out;
}

test("Nearest, Triangle, CatmullRom and Lanczos3 match Pillow's resampling within 2 levels", async () => {
  const card = testCard(97, 61);
  const sizes = [
    [40, 25],
    [150, 90],
    [97, 30],
  ] as const;
  const cases = (["Nearest", "Triangle", "CatmullRom", "Lanczos3"] as const).flatMap((filter) =>
    sizes.map(([width, height]) => ({ filter, width, height })),
  );
  const pillow = python(
    `import base64
from PIL import Image
src = Image.frombytes("RGB", (data["width"], data["height"]), base64.b64decode(data["rgb"]))
f = {"Nearest": Image.NEAREST, "Triangle": Image.BILINEAR, "CatmullRom": Image.BICUBIC, "Lanczos3": Image.LANCZOS}
print(json.dumps([base64.b64encode(src.resize((c["width"], c["height"]), f[c["filter"]]).tobytes()).decode() for c in data["cases"]]))`,
    { width: card.width, height: card.height, rgb: rgb(card).toString("base64"), cases },
  ) as string[];
  for (const [i, c] of cases.entries()) {
    const { summary, output } = await run(png(card), { width: c.width, height: c.height, filter: c.filter });
    assert.equal(summary, `Resized a 97x61 PNG image to ${c.width}x${c.height} PNG.`);
    const ours = rgb(readPng(output));
    const theirs = Buffer.from(pillow[i]!, "base64");
    let worst = 0;
    let total = 0;
    for (let k = 0; k < ours.length; k++) {
      const diff = Math.abs(ours[k]! - theirs[k]!);
      worst = Math.max(worst, diff);
      total += diff;
    }
    const limit = c.filter === "Nearest" ? 0 : 2;
    assert.ok(worst <= limit, `${c.filter} to ${c.width}x${c.height}: largest difference ${worst}`);
    assert.ok(
      total / ours.length < 0.6,
      `${c.filter} to ${c.width}x${c.height}: mean difference ${total / ours.length}`,
    );
  }
});

test("every filter keeps a flat colour flat, and Gaussian spreads an impulse symmetrically", () => {
  const flat: Raster = {
    width: 13,
    height: 7,
    data: new Uint8Array(13 * 7 * 4).fill(0).map((_, i) => [200, 100, 50, 255][i % 4]!),
  };
  for (const filter of Object.values(FILTER))
    for (const [w, h] of [
      [5, 3],
      [31, 17],
    ] as const) {
      const out = resample(flat, w, h, filter);
      for (let p = 0; p < w * h; p++)
        assert.deepEqual([...out.data.subarray(p * 4, p * 4 + 4)], [200, 100, 50, 255]);
    }
  const impulse: Raster = { width: 9, height: 9, data: new Uint8Array(9 * 9 * 4) };
  for (let p = 0; p < 81; p++) impulse.data.set(p === 40 ? [255, 255, 255, 255] : [0, 0, 0, 255], p * 4);
  const out = resample(impulse, 27, 27, FILTER.Gaussian);
  const at = (x: number, y: number) => out.data[(y * 27 + x) * 4]!;
  assert.ok(at(13, 13) > at(12, 13) && at(12, 13) > at(10, 13) && at(13, 13) > 0);
  for (const [dx, dy] of [
    [1, 0],
    [2, 1],
    [3, 3],
  ] as const)
    assert.equal(at(13 + dx, 13 + dy), at(13 - dx, 13 - dy));
});

test("transparent pixels do not bleed their colour into the result", () => {
  // Left half: opaque red; right half: fully transparent green.
  const image = testCard(20, 4, 2, (x) => (x < 10 ? 255 : 0));
  for (let p = 0; p < 80; p++) image.data.set(p % 20 < 10 ? [255, 0, 0, 255] : [0, 255, 0, 0], p * 4);
  const out = resample(image, 7, 4, FILTER.Triangle);
  for (let p = 0; p < 28; p++) {
    const [r, g, , a] = out.data.subarray(p * 4, p * 4 + 4);
    if (a! > 0) assert.deepEqual([r, g], [255, 0], `pixel ${p} has alpha ${a}`);
  }
});

test("the output format is the input's unless another is asked for, and each decodes", async () => {
  const card = testCard(64, 48);
  const source = png(card);
  const jpegOut = await run(source, { width: 32, filter: "Lanczos3", format: "JPEG", quality: 90 });
  assert.equal(jpegOut.summary, "Resized a 64x48 PNG image to 32x24 JPEG.");
  const decoded = jpeg.decode(jpegOut.output, { useTArray: true });
  assert.deepEqual([decoded.width, decoded.height], [32, 24]);
  const bmpOut = await run(jpegOut.output, { height: 12, format: "bmp" });
  assert.equal(bmpOut.summary, "Resized a 32x24 JPEG image to 16x12 BMP.");
  assert.deepEqual([decodeBmp(bmpOut.output, "x").width, decodeBmp(bmpOut.output, "x").height], [16, 12]);
  const same = await run(bmpOut.output, { width: 8, height: 8 });
  assert.equal(same.summary, "Resized a 16x12 BMP image to 8x8 BMP.");
  const gifOut = await run(source, {
    width: 40,
    height: 40,
    keep_aspect: true,
    format: "gif",
    filter: "CatmullRom",
  });
  assert.equal(gifOut.summary, "Resized a 64x48 PNG image to 40x30 GIF.");
  const reader = new omggif.GifReader(gifOut.output);
  const pixels = new Uint8Array(40 * 30 * 4);
  reader.decodeAndBlitFrameRGBA(0, pixels);
  // The card has more than 256 colours: the palette approximates them (Pillow's median cut, undithered,
  // errs by 4.6 levels on average here).
  const exact = resample(card, 40, 30, FILTER.CatmullRom);
  let error = 0;
  for (let k = 0; k < pixels.length; k++) if (k % 4 !== 3) error += Math.abs(pixels[k]! - exact.data[k]!);
  assert.ok(error / (40 * 30 * 3) < 6, `mean palette error ${error / (40 * 30 * 3)}`);
});

test("a GIF with few colours and transparency keeps them exactly", async () => {
  const image: Raster = { width: 4, height: 2, data: new Uint8Array(32) };
  const colours = [
    [255, 0, 0, 255],
    [0, 0, 255, 255],
    [0, 0, 0, 0],
    [10, 20, 30, 255],
  ];
  for (let p = 0; p < 8; p++) image.data.set(colours[p % 4]!, p * 4);
  const gif = encodeImage(image, "gif", 75);
  const { output, summary } = await run(gif, { width: 8, height: 4 });
  assert.equal(summary, "Resized a 4x2 GIF image to 8x4 GIF.");
  const pixels = new Uint8Array(8 * 4 * 4);
  new omggif.GifReader(output).decodeAndBlitFrameRGBA(0, pixels);
  for (let y = 0; y < 4; y++)
    for (let x = 0; x < 8; x++) {
      const got = [...pixels.subarray((y * 8 + x) * 4, (y * 8 + x) * 4 + 4)];
      const want = colours[Math.floor(x / 2) % 4]!;
      assert.deepEqual(want[3] === 0 ? got[3] : got, want[3] === 0 ? 0 : want, `pixel ${x},${y}`);
    }
});

test("BMP files written by Pillow are read exactly, and Pillow reads ours", () => {
  const card = testCard(13, 5, 3, (x, y) => (x + y) * 15);
  const files = python(
    `import base64, io
from PIL import Image
src = Image.frombytes("RGBA", (13, 5), base64.b64decode(data["rgba"]))
out = {}
for mode in ["RGB", "P", "1", "L"]:
    buf = io.BytesIO(); src.convert(mode).save(buf, "BMP")
    out[mode] = {"bmp": base64.b64encode(buf.getvalue()).decode(), "rgba": base64.b64encode(src.convert(mode).convert("RGB").convert("RGBA").tobytes()).decode()}
for name in ["opaque", "alpha"]:
    im = Image.open(io.BytesIO(base64.b64decode(data[name]))); im.load()
    out[name] = base64.b64encode(im.convert("RGBA").tobytes()).decode()
print(json.dumps(out))`,
    {
      rgba: Buffer.from(card.data).toString("base64"),
      opaque: encodeBmp(testCard(13, 5, 3)).toString("base64"),
      alpha: encodeBmp(card).toString("base64"),
    },
  ) as Record<string, { bmp: string; rgba: string } | string>;
  for (const mode of ["RGB", "P", "1", "L"]) {
    const file = files[mode] as { bmp: string; rgba: string };
    const decoded = decodeBmp(Buffer.from(file.bmp, "base64"), "data_file");
    assert.deepEqual(Buffer.from(decoded.data), Buffer.from(file.rgba, "base64"), `Pillow's ${mode} BMP`);
  }
  assert.deepEqual(Buffer.from(files["opaque"] as string, "base64"), Buffer.from(testCard(13, 5, 3).data));
  assert.deepEqual(Buffer.from(files["alpha"] as string, "base64"), Buffer.from(card.data));
});

test("oversized images are refused from their header, before decoding", async () => {
  const header = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header);
  header.writeUInt32BE(13, 8);
  header.write("IHDR", 12, "latin1");
  header.writeUInt32BE(100_000, 16);
  header.writeUInt32BE(100_000, 20);
  await refused(
    run(header, { width: 10 }),
    "LIMIT_EXCEEDED",
    /is 100000x100000 pixels; the limit is 40000000 pixels/,
  );
  const small = png(testCard(8, 8));
  await refused(
    run(small, { width: 60_000, height: 60_000 }),
    "LIMIT_EXCEEDED",
    /output would be 60000x60000 pixels/,
  );
  const tight = createImageResizeFunction({
    maxInputPixels: 50,
    maxOutputPixels: 50,
    maxDimension: 100,
    maxInputBytes: 1 << 20,
  });
  const ctx = createMemoryContext({
    args: { width: 4 },
    inputs: { data_file: small },
    outputs: ["result_file"],
  });
  await refused(tight.run(ctx), "LIMIT_EXCEEDED", /8x8 pixels; the limit is 50 pixels/);
});

test("broken images and bad arguments are refused", async () => {
  await refused(
    run(Buffer.from("not an image at all"), { width: 4 }),
    "INVALID_INPUT",
    /^input data_file is not a PNG, JPEG, GIF or BMP image$/,
  );
  const source = png(testCard(16, 16));
  await refused(
    run(source.subarray(0, source.length - 30), { width: 4 }),
    "INVALID_INPUT",
    /^input data_file is not a valid PNG image$/,
  );
  const bmp = encodeBmp(testCard(16, 16));
  await refused(
    run(bmp.subarray(0, 100), { width: 4 }),
    "INVALID_INPUT",
    /not a valid BMP image: truncated pixel data/,
  );
  const rle = Buffer.from(bmp);
  rle.writeUInt32LE(1, 30);
  await refused(run(rle, { width: 4 }), "INVALID_INPUT", /compressed BMP/);
  await refused(run(source, {}), "INVALID_ARGUMENT", /argument width or height is required/);
  await refused(
    run(source, { width: 4, filter: "Bicubic" }),
    "INVALID_ARGUMENT",
    /filter must be one of Nearest, Triangle, CatmullRom, Gaussian, Lanczos3/,
  );
  await refused(
    run(source, { width: 4, format: "tiff" }),
    "INVALID_ARGUMENT",
    /argument format must be one of/,
  );
  await refused(run(source, { width: 0 }), "INVALID_ARGUMENT", /argument width must be at least 1/);
});
