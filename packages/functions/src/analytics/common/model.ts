// Model files: JSON with an envelope naming the function that wrote it, a format version and the number of
// features it expects, so that a model is never applied by the wrong function or to the wrong columns.
// Everything read back is validated here: a model file is input like any other.
import { FunctionError } from "../../types.js";

export const MODEL_VERSION = 1;

export function encodeModel(fn: string, features: number, body: Record<string, unknown>): string {
  return `${JSON.stringify({ function: fn, version: MODEL_VERSION, features, ...body })}\n`;
}

/** Typed access to a parsed model's fields; every getter validates and names the field on failure. */
export class ModelReader {
  readonly features: number;

  private constructor(
    private readonly source: string,
    private readonly body: Record<string, unknown>,
  ) {
    this.features = this.integer("features", 1, Number.MAX_SAFE_INTEGER);
  }

  static parse(bytes: Uint8Array, source: string, fn: string): ModelReader {
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("utf8"));
    } catch {
      throw new FunctionError("INVALID_INPUT", `input ${source} is not a JSON model file`);
    }
    if (typeof json !== "object" || json === null || Array.isArray(json))
      throw new FunctionError("INVALID_INPUT", `input ${source} is not a JSON model object`);
    const body = json as Record<string, unknown>;
    if (body.function !== fn)
      throw new FunctionError(
        "INVALID_INPUT",
        `input ${source} is ${typeof body.function === "string" ? `a ${body.function.slice(0, 60)}` : "not a"} model, not a ${fn} model`,
      );
    if (body.version !== MODEL_VERSION)
      throw new FunctionError(
        "INVALID_INPUT",
        `input ${source} has unsupported model version ${String(body.version)}`,
      );
    return new ModelReader(source, body);
  }

  number(field: string): number {
    const v = this.body[field];
    if (typeof v !== "number" || !Number.isFinite(v)) throw this.bad(field, "a finite number");
    return v;
  }

  integer(field: string, min: number, max: number): number {
    const v = this.body[field];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max)
      throw this.bad(field, `an integer from ${min} to ${max}`);
    return v;
  }

  choice<T extends string>(field: string, choices: readonly T[]): T {
    const found = choices.find((c) => c === this.body[field]);
    if (found === undefined) throw this.bad(field, `one of ${choices.join(", ")}`);
    return found;
  }

  boolean(field: string): boolean {
    const v = this.body[field];
    if (typeof v !== "boolean") throw this.bad(field, "true or false");
    return v;
  }

  /** `count` square matrices of `size` × `size` finite numbers, flattened. */
  matrices(field: string, count: number, size: number): Float64Array {
    const v = this.body[field];
    if (!Array.isArray(v) || v.length !== count) throw this.bad(field, `an array of ${count} matrices`);
    const out = new Float64Array(count * size * size);
    v.forEach((m, i) => {
      if (!Array.isArray(m) || m.length !== size)
        throw this.bad(`${field}[${i}]`, `a ${size} × ${size} matrix`);
      m.forEach((r, a) => out.set(this.flat(r, `${field}[${i}][${a}]`, size), (i * size + a) * size));
    });
    return out;
  }

  /** An array of `length` finite numbers (any length ≥ 1 when omitted). */
  numbers(field: string, length?: number, check?: (v: number) => boolean): Float64Array {
    return this.flat(this.body[field], field, length, check);
  }

  /** A `rows` × `cols` array of arrays of finite numbers, flattened row-major. */
  matrix(
    field: string,
    rows: number | undefined,
    cols: number,
    check?: (v: number) => boolean,
  ): Float64Array {
    const v = this.body[field];
    if (!Array.isArray(v) || v.length === 0 || (rows !== undefined && v.length !== rows))
      throw this.bad(field, `an array of ${rows ?? "one or more"} rows`);
    const out = new Float64Array(v.length * cols);
    v.forEach((r, i) => out.set(this.flat(r, `${field}[${i}]`, cols, check), i * cols));
    return out;
  }

  private flat(v: unknown, field: string, length?: number, check?: (v: number) => boolean): Float64Array {
    const what = `an array of ${length ?? "one or more"} finite numbers`;
    if (!Array.isArray(v) || v.length === 0 || (length !== undefined && v.length !== length))
      throw this.bad(field, what);
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x !== "number" || !Number.isFinite(x) || (check && !check(x))) throw this.bad(field, what);
      out[i] = x;
    }
    return out;
  }

  private bad(field: string, what: string): FunctionError {
    return new FunctionError("INVALID_INPUT", `input ${this.source}: field ${field} must be ${what}`);
  }
}

/** Converts a flat row-major matrix to nested arrays for JSON. */
export function nested(data: Float64Array, cols: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < data.length; i += cols) out.push(Array.from(data.subarray(i, i + cols)));
  return out;
}
