// The QuickJS WebAssembly module, loaded once per process (a warm isolate loads it before its task).
import type { QuickJSSyncVariant, QuickJSWASMModule } from "quickjs-emscripten-core";

let module: Promise<QuickJSWASMModule> | undefined;

export function loadQuickJs(): Promise<QuickJSWASMModule> {
  module ??= (async () => {
    const [{ newQuickJSWASMModuleFromVariant }, variant] = await Promise.all([
      import("quickjs-emscripten-core"),
      import("@jitl/quickjs-wasmfile-release-sync"),
    ]);
    // The package's types describe its CommonJS build; the ES module's default export is the variant.
    return newQuickJSWASMModuleFromVariant(variant.default as unknown as QuickJSSyncVariant);
  })();
  return module;
}
