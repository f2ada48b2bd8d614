// A source stream handed on through a ByteCounter: whatever goes wrong (the source failing or closing
// early, a limit, a timeout, the caller's abort) reaches the consumer as one FileAgentError, and the
// source goes away with the relay however it ends.
import type { Readable } from "node:stream";
import type { ByteCounter } from "./byte-counter.js";
import type { TransferControl } from "./control.js";
import type { FileAgentError } from "./errors.js";

export function relay(
  source: Readable,
  counter: ByteCounter,
  control: TransferControl,
  translate: (cause: unknown) => FileAgentError,
  release?: () => void,
): ByteCounter {
  const fail = (e: unknown): void => {
    counter.destroy(control.explain(e, translate));
  };
  const onAbort = (): void => fail(control.signal.reason);
  // The consumer may start reading later: it then finds the failure in the stream's errored state,
  // while an 'error' emitted before it listens must not crash the process.
  counter.on("error", () => undefined);
  source.on("error", fail);
  source.once("close", () => {
    if (!source.readableEnded) fail(new Error("the source closed before its end"));
  });
  control.signal.addEventListener("abort", onAbort, { once: true });
  counter.once("close", () => {
    control.signal.removeEventListener("abort", onAbort);
    source.destroy();
    release?.();
  });
  if (control.signal.aborted) onAbort();
  else source.pipe(counter);
  return counter;
}
