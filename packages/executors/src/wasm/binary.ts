// A reader for the parts of the WebAssembly binary format the executor checks before compiling a module:
// types, imports, functions, memories and exports (WebAssembly core spec §5). `WebAssembly.Module`
// reports imports and exports but neither signatures nor memory limits, so those are read here.
import { FunctionError } from "@mesatee/functions";

export type ValueType = "i32" | "i64" | "f32" | "f64" | "v128" | "funcref" | "externref";

export interface FuncType {
  readonly params: readonly ValueType[];
  readonly results: readonly ValueType[];
}

export interface MemoryLimits {
  readonly min: number;
  readonly max?: number;
  readonly shared: boolean;
  readonly memory64: boolean;
}

export type ImportDesc =
  | { readonly kind: "function"; readonly type: FuncType }
  | { readonly kind: "memory"; readonly limits: MemoryLimits }
  | { readonly kind: "table" | "global" | "tag" };

export interface Import {
  readonly module: string;
  readonly name: string;
  readonly desc: ImportDesc;
}

export interface Export {
  readonly name: string;
  readonly kind: "function" | "table" | "memory" | "global" | "tag";
  readonly index: number;
}

export interface ModuleInfo {
  readonly imports: readonly Import[];
  readonly exports: readonly Export[];
  /** Memories the module defines (not imported). */
  readonly memories: readonly MemoryLimits[];
  /** Signature of function `index` (imported functions first, as in the index space). */
  functionType(index: number): FuncType | undefined;
  /** Byte range of the memory section, if any (to rewrite it). */
  readonly memorySection?: { readonly start: number; readonly end: number };
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const VALUE_TYPES: Readonly<Record<number, ValueType>> = {
  0x7f: "i32",
  0x7e: "i64",
  0x7d: "f32",
  0x7c: "f64",
  0x7b: "v128",
  0x70: "funcref",
  0x6f: "externref",
};
const EXPORT_KINDS = ["function", "table", "memory", "global", "tag"] as const;

function invalid(message: string): FunctionError {
  return new FunctionError("FAILED", `invalid WebAssembly module: ${message}`);
}

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  byte(): number {
    if (this.pos >= this.end) throw invalid("unexpected end of section");
    return this.bytes[this.pos++]!;
  }

  /** Unsigned LEB128 of at most `bits` bits. */
  uleb(bits = 32): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      if (shift >= bits) throw invalid("integer too long");
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    if (result >= 2 ** bits) throw invalid("integer too large");
    return result;
  }

  name(): string {
    const length = this.uleb();
    if (this.pos + length > this.end) throw invalid("name runs past its section");
    const text = new TextDecoder("utf-8", { fatal: true });
    try {
      return text.decode(this.bytes.subarray(this.pos, (this.pos += length)));
    } catch {
      throw invalid("a name is not UTF-8");
    }
  }

  valueType(): ValueType {
    const code = this.byte();
    const type = VALUE_TYPES[code];
    if (!type) throw invalid(`unsupported value type 0x${code.toString(16)}`);
    return type;
  }

  limits(): MemoryLimits {
    const flags = this.byte();
    if (flags & ~0x07) throw invalid(`unsupported limits flags 0x${flags.toString(16)}`);
    const memory64 = (flags & 0x04) !== 0;
    const min = this.uleb(memory64 ? 53 : 32);
    const max = flags & 0x01 ? this.uleb(memory64 ? 53 : 32) : undefined;
    return { min, ...(max === undefined ? {} : { max }), shared: (flags & 0x02) !== 0, memory64 };
  }
}

export function readModule(bytes: Uint8Array): ModuleInfo {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw invalid("not a WebAssembly 1.0 binary");
  const types: FuncType[] = [];
  const imports: Import[] = [];
  const importedFunctions: FuncType[] = [];
  const functions: number[] = [];
  const memories: MemoryLimits[] = [];
  const exports: Export[] = [];
  let memorySection: { start: number; end: number } | undefined;

  const top = new Reader(bytes, 8, bytes.length);
  while (top.pos < bytes.length) {
    const start = top.pos;
    const id = top.byte();
    const size = top.uleb();
    if (top.pos + size > bytes.length) throw invalid(`section ${id} runs past the end of the module`);
    const r = new Reader(bytes, top.pos, top.pos + size);
    top.pos += size;
    switch (id) {
      case 1: // type
        for (let n = r.uleb(); n > 0; n--) {
          const form = r.byte();
          if (form !== 0x60) throw invalid(`unsupported type form 0x${form.toString(16)}`);
          const params = Array.from({ length: r.uleb() }, () => r.valueType());
          const results = Array.from({ length: r.uleb() }, () => r.valueType());
          types.push({ params, results });
        }
        break;
      case 2: // import
        for (let n = r.uleb(); n > 0; n--) {
          const module = r.name();
          const name = r.name();
          const kind = r.byte();
          if (kind === 0x00) {
            const type = types[r.uleb()];
            if (!type) throw invalid(`import ${module}.${name} names an unknown type`);
            importedFunctions.push(type);
            imports.push({ module, name, desc: { kind: "function", type } });
          } else if (kind === 0x01) {
            r.byte();
            r.limits();
            imports.push({ module, name, desc: { kind: "table" } });
          } else if (kind === 0x02) {
            imports.push({ module, name, desc: { kind: "memory", limits: r.limits() } });
          } else if (kind === 0x03) {
            r.valueType();
            r.byte();
            imports.push({ module, name, desc: { kind: "global" } });
          } else if (kind === 0x04) {
            r.byte();
            r.uleb();
            imports.push({ module, name, desc: { kind: "tag" } });
          } else throw invalid(`unknown import kind ${kind}`);
        }
        break;
      case 3: // function
        for (let n = r.uleb(); n > 0; n--) functions.push(r.uleb());
        break;
      case 5: // memory
        memorySection = { start, end: r.end };
        for (let n = r.uleb(); n > 0; n--) memories.push(r.limits());
        break;
      case 7: // export
        for (let n = r.uleb(); n > 0; n--) {
          const name = r.name();
          const kind = EXPORT_KINDS[r.byte()];
          if (!kind) throw invalid(`export ${name} has an unknown kind`);
          exports.push({ name, kind, index: r.uleb() });
        }
        break;
      default:
        break;
    }
  }
  return {
    imports,
    exports,
    memories,
    ...(memorySection ? { memorySection } : {}),
    functionType(index) {
      if (index < importedFunctions.length) return importedFunctions[index];
      const typeIndex = functions[index - importedFunctions.length];
      return typeIndex === undefined ? undefined : types[typeIndex];
    },
  };
}

function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return out;
}

/** The module with its (single, 32-bit) memory section replaced by one declaring `min` and `max` pages. */
export function withMemoryLimits(bytes: Uint8Array, info: ModuleInfo, min: number, max: number): Uint8Array {
  const section = info.memorySection;
  if (!section) throw new Error("the module defines no memory");
  const body = [1, 0x01, ...uleb(min), ...uleb(max)];
  const encoded = Uint8Array.from([5, ...uleb(body.length), ...body]);
  const out = new Uint8Array(bytes.length - (section.end - section.start) + encoded.length);
  out.set(bytes.subarray(0, section.start), 0);
  out.set(encoded, section.start);
  out.set(bytes.subarray(section.end), section.start + encoded.length);
  return out;
}

export function sameType(a: FuncType, b: FuncType): boolean {
  const eq = (x: readonly ValueType[], y: readonly ValueType[]) =>
    x.length === y.length && x.every((t, i) => t === y[i]);
  return eq(a.params, b.params) && eq(a.results, b.results);
}

export function describeType(t: FuncType): string {
  return `(${t.params.join(", ")}) -> (${t.results.join(", ")})`;
}
