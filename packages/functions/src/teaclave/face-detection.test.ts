import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { createMemoryContext } from "../memory-context.js";
import { faceDetection } from "./face-detection.js";
import { rejectsWith } from "./test-support.js";

// NASA's portrait of astronaut Eileen Collins (public domain), shipped by Debian's python3-skimage.
const ASTRONAUT = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";
const png = PNG.sync.read(readFileSync(ASTRONAUT));

function toJpeg(data: Uint8Array, width: number, height: number): number[] {
  return [...jpeg.encode({ data: Buffer.from(data), width, height }, 90).data];
}

function mirrored(): Uint8Array {
  const out = new Uint8Array(png.data.length);
  for (let y = 0; y < png.height; y++)
    for (let x = 0; x < png.width; x++)
      out.set(
        png.data.subarray(4 * (y * png.width + x), 4 * (y * png.width + x) + 4),
        4 * (y * png.width + png.width - 1 - x),
      );
  return out;
}

interface Face {
  bbox: { x: number; y: number; width: number; height: number };
  score: number;
}

async function detect(args: Record<string, unknown>): Promise<Face[]> {
  return JSON.parse(await faceDetection.run(createMemoryContext({ args }))) as Face[];
}

const teaclaveArgs = {
  min_face_size: 20,
  score_thresh: 2.0,
  pyramid_scale_factor: 0.8,
  slide_window_step_x: 4,
  slide_window_step_y: 4,
};

function iou(a: Face["bbox"], b: Face["bbox"]): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  return (w * h) / (a.width * a.height + b.width * b.height - w * h);
}

test("builtin-face-detection finds the one face in a JPEG portrait, where scikit-image's detector finds it", async () => {
  const faces = await detect({ image: toJpeg(png.data, png.width, png.height), ...teaclaveArgs });
  assert.equal(faces.length, 1, JSON.stringify(faces));
  const script = `
import json
from skimage import data
from skimage.feature import Cascade
d = Cascade(data.lbp_frontal_face_cascade_filename())
f = d.detect_multi_scale(img=data.astronaut(), scale_factor=1.2, step_ratio=1, min_size=(60, 60), max_size=(200, 200))
print(json.dumps([{"x": int(r["c"]), "y": int(r["r"]), "width": int(r["width"]), "height": int(r["height"])} for r in f]))
`;
  const reference = JSON.parse(execFileSync("/usr/bin/python3", ["-c", script]).toString()) as Face["bbox"][];
  assert.equal(reference.length, 1);
  assert.ok(
    iou(faces[0]!.bbox, reference[0]!) > 0.5,
    `${JSON.stringify(faces[0])} vs ${JSON.stringify(reference[0])}`,
  );
  assert.ok(faces[0]!.score >= 2);
});

test("builtin-face-detection finds the mirrored face in the mirrored place, from a PNG", async () => {
  const [straight] = await detect({ image: toJpeg(png.data, png.width, png.height), ...teaclaveArgs });
  const flipped = new PNG({ width: png.width, height: png.height });
  flipped.data = Buffer.from(mirrored());
  const faces = await detect({ image: [...PNG.sync.write(flipped)], ...teaclaveArgs });
  assert.equal(faces.length, 1);
  const expected = { ...straight!.bbox, x: png.width - straight!.bbox.x - straight!.bbox.width };
  assert.ok(
    iou(faces[0]!.bbox, expected) > 0.6,
    `${JSON.stringify(faces[0])} vs ${JSON.stringify(expected)}`,
  );
});

test("builtin-face-detection reports no face in a flat image or in noise", async () => {
  const size = 160;
  const flat = new Uint8Array(size * size * 4).fill(128);
  assert.deepEqual(await detect({ image: toJpeg(flat, size, size) }), []);
  const noise = new Uint8Array(size * size * 4);
  let s = 12345;
  for (let i = 0; i < noise.length; i++) noise[i] = (s = (s * 1103515245 + 12345) % 2147483648) >> 23;
  assert.deepEqual(await detect({ image: toJpeg(noise, size, size) }), []);
});

test("the output is Teaclave's shape: bbox with integer x, y, width, height and a float score", async () => {
  const text = await faceDetection.run(
    createMemoryContext({ args: { image: toJpeg(png.data, png.width, png.height), ...teaclaveArgs } }),
  );
  assert.match(text, /^\[\{"bbox":\{"x":\d+,"y":\d+,"width":\d+,"height":\d+\},"score":\d+\.0\}\]$/);
});

test("builtin-face-detection refuses bad images and out-of-range arguments", async () => {
  await rejectsWith(detect({}), "INVALID_ARGUMENT", /missing argument "image"/);
  await rejectsWith(detect({ image: "abc" }), "INVALID_ARGUMENT", /must be an array of bytes/);
  await rejectsWith(detect({ image: [255, 216, 256] }), "INVALID_ARGUMENT", /element 2 is not a byte/);
  await rejectsWith(detect({ image: [1, 2, 3, 4] }), "INVALID_ARGUMENT", /neither a JPEG nor a PNG/);
  await rejectsWith(detect({ image: [255, 216, 255, 0, 1] }), "INVALID_ARGUMENT", /cannot be decoded/);
  const small = toJpeg(new Uint8Array(40 * 40 * 4), 40, 40);
  await rejectsWith(
    detect({ image: small, pyramid_scale_factor: 1.5 }),
    "INVALID_ARGUMENT",
    /pyramid_scale_factor/,
  );
  await rejectsWith(detect({ image: small, min_face_size: 10 }), "INVALID_ARGUMENT", /min_face_size/);
  await rejectsWith(detect({ image: small, score_thresh: 0 }), "INVALID_ARGUMENT", /score_thresh/);
});

test("builtin-face-detection refuses a scan beyond its window limit before scanning", async () => {
  const big = new PNG({ width: 1200, height: 1200 });
  big.data.fill(128);
  const args = {
    image: [...PNG.sync.write(big)],
    slide_window_step_x: 1,
    slide_window_step_y: 1,
    window_size: 100,
    pyramid_scale_factor: 0.99,
  };
  await rejectsWith(detect(args), "LIMIT_EXCEEDED", /windows \(limit 50000000\)/);
});
