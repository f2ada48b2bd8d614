// The Python executor: Pyodide (CPython compiled to WebAssembly) with MesaPy's conventions (spec §5.3):
// the payload defines `entrypoint(argv)` with Teaclave's flat, sorted argv and opens files with
// `teaclave_open(id, "rb"|"wb")` or `from teaclave import open`. Only the standard library exists;
// the file system is Pyodide's in-memory one, holding just this task's inputs and outputs.
import { FunctionError } from "@mesatee/functions";
import type { ExecutorLimits } from "../limits.js";
import type { FunctionLog } from "../log.js";
import type { TaskFiles } from "../task-files.js";
import { takeInterpreter } from "./runtime.js";

export interface PythonRunOptions {
  readonly source: Uint8Array;
  readonly argv: readonly string[];
  readonly files: TaskFiles;
  readonly log: FunctionLog;
  readonly limits: ExecutorLimits;
}

type Outcome = { ok: true; value: string; created: string[] } | { ok: false; error?: string; limit?: string };

export async function runPython(o: PythonRunOptions): Promise<string> {
  const { files, limits } = o;
  const interp = await takeInterpreter();
  const { fs } = interp;
  fs.mkdirTree("/teaclave/in");
  fs.mkdirTree("/teaclave/out");
  const inputs: Record<string, string> = {};
  files.inputNames.forEach((name, i) => {
    inputs[name] = `/teaclave/in/${i}`;
    fs.writeFile(inputs[name], files.input(name));
  });
  const outputs: Record<string, string> = {};
  files.outputNames.forEach((name, i) => (outputs[name] = `/teaclave/out/${i}`));
  fs.writeFile("/teaclave/function.py", o.source);
  fs.writeFile(
    "/teaclave/task.json",
    JSON.stringify({ argv: o.argv, inputs, outputs, max_output_bytes: limits.maxOutputBytes }),
  );

  // Pyodide hands over whole lines, decoded; without save_log they are dropped here.
  interp.py.setStdout({ batched: (line: string) => o.log.write("INFO", line) });
  interp.py.setStderr({ batched: (line: string) => o.log.write("ERROR", line) });

  let outcome: Outcome;
  try {
    outcome = JSON.parse(interp.run()) as Outcome;
  } catch (error) {
    files.check();
    throw new FunctionError("FAILED", `the Python runtime failed: ${describe(error)}`);
  }
  files.check();
  if (!outcome.ok) {
    if (outcome.limit) throw new FunctionError("LIMIT_EXCEEDED", outcome.limit);
    throw new FunctionError("FAILED", outcome.error ?? "the function failed");
  }
  if (typeof outcome.value !== "string") throw new FunctionError("FAILED", "entrypoint must return a str");
  if (Buffer.byteLength(outcome.value) > limits.maxResultBytes)
    throw new FunctionError(
      "LIMIT_EXCEEDED",
      `the return value is larger than ${limits.maxResultBytes} bytes`,
    );
  // What the function wrote is read back from the in-memory file system and checked against the limit
  // again: the Python-side count is a courtesy the function could tamper with.
  for (const name of new Set(outcome.created)) {
    const path = outputs[name];
    if (path === undefined) continue;
    const size = fs.stat(path).size;
    if (size > limits.maxOutputBytes)
      throw new FunctionError(
        "LIMIT_EXCEEDED",
        `output ${name} is larger than ${limits.maxOutputBytes} bytes`,
      );
    files.createOutput(name).write(fs.readFile(path));
  }
  return outcome.value;
}

function describe(error: unknown): string {
  if (error instanceof RangeError && /call stack/i.test(error.message)) return "stack overflow";
  if (error instanceof Error) return error.message.split("\n").filter(Boolean).pop() ?? error.name;
  return String(error);
}
