// builtin-image-resize: resizes a PNG, JPEG, GIF or BMP image with one of the image crate's five filters
// and writes it in the same or another of those formats. Sizes: both width and height (exact, or fitted
// inside that box with keep_aspect), or one of them (the other follows the aspect ratio).
import { FunctionError, type BuiltinFunction, type FunctionContext } from "../../types.js";
import { ArgReader } from "../common/args.js";
import { throwIfCancelled } from "../common/cancel.js";
import { checkFiles, DATA_FILE, RESULT_FILE } from "../common/estimator.js";
import {
  decodeImage,
  encodeImage,
  FORMAT_NAMES,
  FORMATS,
  imageSize,
  sniffFormat,
  type ImageFormat,
} from "./codecs.js";
import { FILTER, FILTERS } from "./filters.js";
import { resample } from "./resample.js";

export interface ImageLimits {
  /** Largest input image, in pixels (checked from the header, before decoding). */
  readonly maxInputPixels: number;
  /** Largest output image, in pixels. */
  readonly maxOutputPixels: number;
  /** Largest width or height asked for. */
  readonly maxDimension: number;
  /** Largest input file, in bytes. */
  readonly maxInputBytes: number;
}

export const DEFAULT_IMAGE_LIMITS: ImageLimits = {
  maxInputPixels: 40_000_000,
  maxOutputPixels: 40_000_000,
  maxDimension: 65_535,
  maxInputBytes: 256 * 1024 * 1024,
};

const FORMAT_CHOICES = [...FORMATS, "PNG", "JPEG", "GIF", "BMP"] as const;

export function createImageResizeFunction(limits: ImageLimits = DEFAULT_IMAGE_LIMITS): BuiltinFunction {
  return { name: "builtin-image-resize", run: (ctx) => runResize(ctx, limits) };
}

async function runResize(ctx: FunctionContext, limits: ImageLimits): Promise<string> {
  const args = new ArgReader(ctx.args);
  const width = args.optionalInteger("width", { min: 1, max: limits.maxDimension });
  const height = args.optionalInteger("height", { min: 1, max: limits.maxDimension });
  const keepAspect = args.boolean("keep_aspect", false);
  const filter = args.choice("filter", FILTERS, "Nearest");
  const requested = args.has("format")
    ? (args.choice("format", FORMAT_CHOICES).toLowerCase() as ImageFormat)
    : undefined;
  const quality = args.integer("quality", { default: 75, min: 1, max: 100 });
  args.finish();
  if (width === undefined && height === undefined)
    throw new FunctionError("INVALID_ARGUMENT", "argument width or height is required");
  checkFiles(ctx, "builtin-image-resize", { inputs: [DATA_FILE], outputs: [RESULT_FILE] });

  const bytes = await ctx.readInput(DATA_FILE, limits.maxInputBytes);
  const format = sniffFormat(bytes, DATA_FILE);
  const size = imageSize(bytes, format, DATA_FILE);
  if (size.width * size.height > limits.maxInputPixels)
    throw new FunctionError(
      "LIMIT_EXCEEDED",
      `input ${DATA_FILE} is ${size.width}x${size.height} pixels; the limit is ${limits.maxInputPixels} pixels`,
    );
  const target = targetSize(size, width, height, keepAspect);
  if (target.width > limits.maxDimension || target.height > limits.maxDimension)
    throw new FunctionError(
      "LIMIT_EXCEEDED",
      `the output would be ${target.width}x${target.height}; the limit is ${limits.maxDimension} per side`,
    );
  if (target.width * target.height > limits.maxOutputPixels)
    throw new FunctionError(
      "LIMIT_EXCEEDED",
      `the output would be ${target.width}x${target.height} pixels; the limit is ${limits.maxOutputPixels} pixels`,
    );

  const image = decodeImage(bytes, format, DATA_FILE, limits.maxInputPixels);
  throwIfCancelled(ctx.signal);
  const resized =
    image.width === target.width && image.height === target.height
      ? image
      : resample(image, target.width, target.height, FILTER[filter]);
  throwIfCancelled(ctx.signal);
  const output = requested ?? format;
  await ctx.writeOutput(RESULT_FILE, encodeImage(resized, output, quality));
  return (
    `Resized a ${image.width}x${image.height} ${FORMAT_NAMES[format]} image ` +
    `to ${resized.width}x${resized.height} ${FORMAT_NAMES[output]}.`
  );
}

/**
 * Both sides given: exactly that size, or with keep_aspect the largest size with the image's aspect ratio
 * that fits inside it. One side given: the other follows the aspect ratio. Never below 1 pixel.
 */
export function targetSize(
  source: { width: number; height: number },
  width: number | undefined,
  height: number | undefined,
  keepAspect: boolean,
): { width: number; height: number } {
  const ratio = source.width / source.height;
  if (width !== undefined && height !== undefined) {
    if (!keepAspect) return { width, height };
    return width / height > ratio
      ? { width: Math.max(1, Math.round(height * ratio)), height }
      : { width, height: Math.max(1, Math.round(width / ratio)) };
  }
  if (width !== undefined) return { width, height: Math.max(1, Math.round(width / ratio)) };
  return { width: Math.max(1, Math.round(height! * ratio)), height: height! };
}
