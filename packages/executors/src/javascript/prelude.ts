// Runs inside QuickJS before the function: builds the `files` object and `console` over the host
// functions. The host object is only ever a parameter here, so the function cannot reach it.
export const PRELUDE = `(function (host, argsJson, inputsJson, outputsJson) {
  "use strict";
  const freeze = Object.freeze;
  const bytesOf = (data) => {
    if (typeof data === "string" || data instanceof ArrayBuffer) return data;
    if (ArrayBuffer.isView(data)) return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
    throw new TypeError("write() takes a string, an ArrayBuffer or a typed array");
  };
  const create = (name) => {
    const id = host.create(String(name));
    let open = true;
    return freeze({
      write(data) {
        if (!open) throw new Error("output " + name + " is closed");
        host.write(id, bytesOf(data));
      },
      close() {
        open = false;
      },
    });
  };
  const files = freeze({
    inputs: freeze(JSON.parse(inputsJson)),
    outputs: freeze(JSON.parse(outputsJson)),
    readBytes: (name) => new Uint8Array(host.readBytes(String(name))),
    readText: (name) => host.readText(String(name)),
    create,
    writeText(name, text) {
      const out = create(name);
      out.write(String(text));
      out.close();
    },
    writeBytes(name, data) {
      const out = create(name);
      out.write(data);
      out.close();
    },
  });
  const text = (values) =>
    values
      .map((v) => {
        if (typeof v === "string") return v;
        try {
          const json = JSON.stringify(v);
          return json === undefined ? String(v) : json;
        } catch (e) {
          return String(v);
        }
      })
      .join(" ");
  const logAt = (level) => (...values) => host.log(level, text(values));
  globalThis.console = freeze({ log: logAt("INFO"), info: logAt("INFO"), debug: logAt("DEBUG"), warn: logAt("WARN"), error: logAt("ERROR") });
  return [freeze(JSON.parse(argsJson)), files];
})`;
