// Typed access to task arguments. Teaclave's platform injects default values as JSON strings, so a
// numeric or boolean argument is accepted either as a JSON number/boolean or as its decimal text.
import { FunctionError } from "../types.js";

type Args = Readonly<Record<string, unknown>>;

function missing(name: string): FunctionError {
  return new FunctionError("INVALID_ARGUMENT", `missing argument ${JSON.stringify(name)}`);
}

function invalid(name: string, what: string): FunctionError {
  return new FunctionError("INVALID_ARGUMENT", `argument ${JSON.stringify(name)} must be ${what}`);
}

export function argString(args: Args, name: string): string {
  const value = args[name];
  if (value === undefined || value === null) throw missing(name);
  if (typeof value !== "string") throw invalid(name, "a string");
  return value;
}

export interface IntRange {
  min?: number;
  max?: number;
}

/** An integer argument (usize/u32/u8 in Teaclave); `range` bounds it, inclusive. */
export function argInt(args: Args, name: string, range: IntRange = {}): number {
  const value = args[name];
  if (value === undefined || value === null) throw missing(name);
  const min = range.min ?? 0;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "string" && /^\s*[+-]?\d+\s*$/.test(value)) n = Number(value.trim());
  else throw invalid(name, `an integer in ${min}..${max}`);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw invalid(name, `an integer in ${min}..${max}`);
  return n;
}

export function optionalInt(args: Args, name: string, range: IntRange = {}): number | undefined {
  return args[name] === undefined || args[name] === null ? undefined : argInt(args, name, range);
}

/** A finite floating-point argument (f32/f64 in Teaclave). */
export function argNumber(args: Args, name: string, range: { min?: number; max?: number } = {}): number {
  const value = args[name];
  if (value === undefined || value === null) throw missing(name);
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "string" && value.trim() !== "" && /^[\s+\-.\deE]+$/.test(value))
    n = Number(value.trim());
  else throw invalid(name, "a number");
  const min = range.min ?? -Infinity;
  const max = range.max ?? Infinity;
  if (!Number.isFinite(n) || n < min || n > max) throw invalid(name, `a finite number in [${min}, ${max}]`);
  return n;
}

export function optionalNumber(
  args: Args,
  name: string,
  range: { min?: number; max?: number } = {},
): number | undefined {
  return args[name] === undefined || args[name] === null ? undefined : argNumber(args, name, range);
}

export function argBool(args: Args, name: string): boolean {
  const value = args[name];
  if (value === undefined || value === null) throw missing(name);
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  throw invalid(name, "true or false");
}
