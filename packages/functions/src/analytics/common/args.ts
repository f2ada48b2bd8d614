// Reading a task's arguments strictly. Teaclave stores default arguments as strings, so every numeric or
// boolean argument is accepted either as a JSON value or as its decimal string; anything else, and any
// argument the function does not know (usually a typo), is refused with the argument's name.
import { FunctionError } from "../../types.js";

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export interface NumberOptions {
  readonly default?: number;
  readonly min?: number;
  readonly max?: number;
  /** The value must be strictly greater than `min`. */
  readonly exclusiveMin?: boolean;
}

export class ArgReader {
  private readonly used = new Set<string>();

  constructor(private readonly args: Readonly<Record<string, unknown>>) {}

  /** True when the task sets the argument. */
  has(name: string): boolean {
    this.used.add(name);
    return Object.hasOwn(this.args, name) && this.args[name] !== null;
  }

  number(name: string, options: NumberOptions = {}): number {
    const value = this.numeric(name, options.default);
    const { min, max } = options;
    if (min !== undefined && (options.exclusiveMin ? value <= min : value < min))
      throw invalid(
        name,
        `must be ${options.exclusiveMin ? "greater than" : "at least"} ${min}, got ${value}`,
      );
    if (max !== undefined && value > max) throw invalid(name, `must be at most ${max}, got ${value}`);
    return value;
  }

  integer(name: string, options: NumberOptions = {}): number {
    const value = this.number(name, options);
    if (!Number.isSafeInteger(value)) throw invalid(name, `must be an integer, got ${value}`);
    return value;
  }

  /** An integer argument that may be absent (no default). */
  optionalInteger(name: string, options: Omit<NumberOptions, "default"> = {}): number | undefined {
    return this.has(name) ? this.integer(name, options) : undefined;
  }

  boolean(name: string, fallback: boolean): boolean {
    if (!this.has(name)) return fallback;
    const raw = this.args[name];
    if (raw === true || raw === "true") return true;
    if (raw === false || raw === "false") return false;
    throw invalid(name, `must be true or false, got ${describe(raw)}`);
  }

  choice<T extends string>(name: string, choices: readonly T[], fallback?: T): T {
    if (!this.has(name)) {
      if (fallback === undefined) throw invalid(name, "is required");
      return fallback;
    }
    const raw = this.args[name];
    const found = choices.find((c) => c === raw);
    if (found === undefined)
      throw invalid(name, `must be one of ${choices.join(", ")}, got ${describe(raw)}`);
    return found;
  }

  /**
   * An optional matrix given as a JSON array of equally long arrays of numbers (or as that JSON text, since
   * Teaclave's argument values are strings), at most `maxRows` × `maxCols`.
   */
  matrix(
    name: string,
    maxRows: number,
    maxCols: number,
  ): { rows: number; cols: number; data: Float64Array } | undefined {
    if (!this.has(name)) return undefined;
    let raw = this.args[name];
    if (typeof raw === "string") {
      try {
        raw = JSON.parse(raw);
      } catch {
        throw invalid(name, "must be a JSON array of arrays of numbers");
      }
    }
    const shape = `an array of 1 to ${maxRows} arrays of 1 to ${maxCols} numbers, all of the same length`;
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > maxRows)
      throw invalid(name, `must be ${shape}`);
    const first: unknown = raw[0];
    const cols = Array.isArray(first) ? first.length : 0;
    if (cols === 0 || cols > maxCols) throw invalid(name, `must be ${shape}`);
    const data = new Float64Array(raw.length * cols);
    raw.forEach((r: unknown, i) => {
      if (!Array.isArray(r) || r.length !== cols) throw invalid(name, `must be ${shape}`);
      r.forEach((v: unknown, j) => {
        if (typeof v !== "number" || !Number.isFinite(v)) throw invalid(name, `must be ${shape}`);
        data[i * cols + j] = v;
      });
    });
    return { rows: raw.length, cols, data };
  }

  /** Refuses every argument that was never asked for. Call after reading all arguments. */
  finish(): void {
    const unknown = Object.keys(this.args).filter((k) => !this.used.has(k));
    if (unknown.length > 0) {
      const known = [...this.used].sort().join(", ");
      throw new FunctionError(
        "INVALID_ARGUMENT",
        `unknown argument ${JSON.stringify(unknown[0])} (this function takes: ${known || "no arguments"})`,
      );
    }
  }

  private numeric(name: string, fallback: number | undefined): number {
    if (!this.has(name)) {
      if (fallback === undefined) throw invalid(name, "is required");
      return fallback;
    }
    const raw = this.args[name];
    let value: number;
    if (typeof raw === "number") value = raw;
    else if (typeof raw === "string" && DECIMAL.test(raw.trim())) value = Number(raw.trim());
    else throw invalid(name, `must be a number, got ${describe(raw)}`);
    if (!Number.isFinite(value)) throw invalid(name, `must be a finite number, got ${describe(raw)}`);
    return value;
  }
}

function invalid(name: string, what: string): FunctionError {
  return new FunctionError("INVALID_ARGUMENT", `argument ${name} ${what}`);
}

function describe(raw: unknown): string {
  const text = JSON.stringify(raw) ?? String(raw);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
