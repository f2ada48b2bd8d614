// Pyodide loads once for this file (seconds); every run after that starts from its snapshot.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FunctionError, createMemoryContext } from "@mesatee/functions";
import { runUserFunction } from "../index.js";

async function run(source: string, options: Parameters<typeof createMemoryContext>[0] = {}) {
  const ctx = createMemoryContext(options);
  const value = await runUserFunction({
    family: "python",
    payload: Buffer.from(source),
    functionName: "test",
    ctx,
  });
  return { value, ctx };
}

test("MesaPy's file API: teaclave_open and teaclave.open, lines, str or bytes written", async () => {
  const { value, ctx } = await run(
    `from teaclave import open as topen
def entrypoint(argv):
    with teaclave_open("in", "rb") as f:
        first = f.readline()
        rest = f.readlines()
    with topen("out", "wb") as f:
        f.write("text, ")
        f.write(b"bytes, ")
        f.writelines([first.strip(), b"|", str(len(rest)).encode()])
    return "ok"
`,
    { inputs: { in: "one\ntwo\nthree\n" }, outputs: ["out"] },
  );
  assert.equal(value, "ok");
  assert.equal(ctx.output("out").toString(), "text, bytes, one|2");
});

test("return values: str as is, bytes decoded, None empty; anything else fails", async () => {
  assert.equal((await run("def entrypoint(argv):\n    return 'é'\n")).value, "é");
  assert.equal((await run("def entrypoint(argv):\n    return 'é'.encode()\n")).value, "é");
  assert.equal((await run("def entrypoint(argv):\n    pass\n")).value, "");
  await assert.rejects(
    run("def entrypoint(argv):\n    return [1]\n"),
    (e: unknown) => e instanceof FunctionError && /must return a str, not list/.test(e.message),
  );
});

test("each run gets a fresh interpreter: nothing leaks from one task to the next", async () => {
  await run(
    "import sys\nsys.modules['math'].leak = 'secret'\nLEAK = 1\ndef entrypoint(argv):\n    open('/tmp/left-behind', 'w').write('x')\n    return ''\n",
  );
  const { value } = await run(
    "import math, os\ndef entrypoint(argv):\n    return '%s %s' % (hasattr(math, 'leak'), os.path.exists('/tmp/left-behind'))\n",
  );
  assert.equal(value, "False False");
});

test("interpreters from the same snapshot draw different random numbers", async () => {
  const source = "import random\ndef entrypoint(argv):\n    return repr(random.random())\n";
  const draws = new Set([(await run(source)).value, (await run(source)).value, (await run(source)).value]);
  assert.equal(draws.size, 3);
});

test("an output limit counted as the function writes; outputs of a failed run are dropped", async () => {
  const options = { outputs: ["out"] };
  const ctx = createMemoryContext(options);
  await assert.rejects(
    runUserFunction({
      family: "python",
      payload: Buffer.from(
        "def entrypoint(argv):\n    teaclave_open('out', 'wb').write(b'x' * 2048)\n    return 'no'\n",
      ),
      functionName: "test",
      ctx,
      limits: { maxOutputBytes: 1024 },
    }),
    (e: unknown) =>
      e instanceof FunctionError &&
      e.code === "LIMIT_EXCEEDED" &&
      /output out is larger than 1024 bytes/.test(e.message),
  );
  assert.equal(ctx.output("out").length, 0);
});
