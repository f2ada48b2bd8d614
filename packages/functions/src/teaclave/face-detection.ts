// builtin-face-detection (spec/teaclave-compat.md §6.11): finds faces in an image passed as a JSON
// array of the file's bytes (JPEG, as Teaclave; PNG too) and returns a JSON array of
// {"bbox":{"x","y","width","height"},"score"}. Teaclave used rustface (SeetaFace) with its model
// file; MesaTEE uses a classic Viola–Jones detector with OpenCV's frontal-face Haar cascade, shipped
// in the `tracking` npm package (see face/cascade.ts). Its score is the number of overlapping window
// hits merged into a face, so `score_thresh` is a minimum hit count (Teaclave's default 2.0 works).
import { setImmediate as nextTurn } from "node:timers/promises";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { FunctionError, type BuiltinFunction } from "../types.js";
import { formatJsonF64 } from "../format/rust-float.js";
import { optionalInt, optionalNumber } from "./args.js";
import { frontalFaceCascade } from "./face/cascade.js";
import { detectFaces, grayscale, type DetectOptions } from "./face/detect.js";

/** Limits: the encoded image and the decoded pixel count. */
export const FACE_LIMITS = { maxImageBytes: 20 * 1024 * 1024, maxPixels: 25_000_000 };

function imageBytes(value: unknown): Uint8Array {
  if (value === undefined || value === null)
    throw new FunctionError("INVALID_ARGUMENT", 'missing argument "image"');
  if (!Array.isArray(value))
    throw new FunctionError("INVALID_ARGUMENT", 'argument "image" must be an array of bytes');
  if (value.length > FACE_LIMITS.maxImageBytes)
    throw new FunctionError(
      "LIMIT_EXCEEDED",
      `argument "image" is larger than ${FACE_LIMITS.maxImageBytes} bytes`,
    );
  const bytes = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const b: unknown = value[i];
    if (typeof b !== "number" || !Number.isInteger(b) || b < 0 || b > 255)
      throw new FunctionError("INVALID_ARGUMENT", `argument "image" element ${i} is not a byte`);
    bytes[i] = b;
  }
  return bytes;
}

function decode(bytes: Uint8Array): { data: Uint8Array; width: number; height: number } {
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  try {
    if (isJpeg) {
      const img = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: FACE_LIMITS.maxPixels / 1e6,
        maxMemoryUsageInMB: 1024,
      });
      return { data: img.data, width: img.width, height: img.height };
    }
    if (isPng) {
      const img = PNG.sync.read(Buffer.from(bytes));
      if (img.width * img.height > FACE_LIMITS.maxPixels) throw new Error("too many pixels");
      return { data: img.data, width: img.width, height: img.height };
    }
  } catch (err) {
    throw new FunctionError(
      "INVALID_ARGUMENT",
      `image cannot be decoded: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  throw new FunctionError("INVALID_ARGUMENT", "image is neither a JPEG nor a PNG file");
}

export const faceDetection: BuiltinFunction = {
  name: "builtin-face-detection",
  async run(ctx) {
    const a = ctx.args;
    const bytes = imageBytes(a["image"]);
    const windowSize = optionalInt(a, "window_size", { min: 20, max: 100_000 }) ?? 40;
    const stepX = optionalInt(a, "slide_window_step_x", { min: 1, max: 100_000 });
    const stepY = optionalInt(a, "slide_window_step_y", { min: 1, max: 100_000 });
    const minSize = optionalInt(a, "min_face_size", { min: 20, max: 100_000 }) ?? 20;
    const maxSize = optionalInt(a, "max_face_size", { min: 20, max: 100_000 }) ?? 100_000;
    const pyramid = optionalNumber(a, "pyramid_scale_factor", { min: 0.01, max: 0.99 }) ?? 0.8;
    const scoreThresh = optionalNumber(a, "score_thresh", { min: 0 }) ?? 2;
    if (scoreThresh <= 0)
      throw new FunctionError("INVALID_ARGUMENT", 'argument "score_thresh" must be greater than 0');
    // As in Teaclave, the steps apply only when both are given.
    const steps = stepX !== undefined && stepY !== undefined ? [stepX, stepY] : [4, 4];
    const options: DetectOptions = {
      minSize,
      maxSize,
      pyramidScaleFactor: pyramid,
      stepX: steps[0] as number,
      stepY: steps[1] as number,
      stepBase: windowSize,
      minScore: scoreThresh,
    };
    const img = decode(bytes);
    const faces = await detectFaces(
      frontalFaceCascade(),
      grayscale(img.data, img.width, img.height),
      img.width,
      img.height,
      options,
      async () => {
        await nextTurn();
        if (ctx.signal.aborted) throw new FunctionError("FAILED", "face detection was cancelled");
      },
    );
    const items = faces.map(
      (f) =>
        `{"bbox":{"x":${f.x},"y":${f.y},"width":${f.width},"height":${f.height}},"score":${formatJsonF64(f.score)}}`,
    );
    return `[${items.join(",")}]`;
  },
};
