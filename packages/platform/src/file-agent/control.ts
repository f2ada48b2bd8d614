// One transfer's cancellation: the caller's AbortSignal, the whole-transfer deadline and the idle timeout
// all abort the same signal, with the FileAgentError that explains why as its reason. Streams and
// requests take the signal; whatever error they then surface, the recorded reason wins.
import { FileAgentError } from "./errors.js";

export class TransferControl {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #caller: AbortSignal | undefined;
  readonly #onCallerAbort = (): void =>
    this.fail(new FileAgentError("ABORTED", "transfer aborted by the caller"));

  constructor(timeoutMs: number, caller?: AbortSignal) {
    this.#caller = caller;
    if (caller?.aborted) {
      this.#onCallerAbort();
      return;
    }
    caller?.addEventListener("abort", this.#onCallerAbort, { once: true });
    this.#timer = setTimeout(
      () => this.fail(new FileAgentError("TIMEOUT", `transfer did not finish within ${timeoutMs} ms`)),
      timeoutMs,
    );
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Ends the transfer with `error`, unless it has already ended with another. */
  fail(error: FileAgentError): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(error);
  }

  throwIfFailed(): void {
    if (this.#controller.signal.aborted) throw this.#controller.signal.reason as FileAgentError;
  }

  /** The error to report for `e`: the recorded reason first, then `e` itself or its translation. */
  explain(e: unknown, translate: (e: unknown) => FileAgentError): FileAgentError {
    if (this.#controller.signal.aborted) return this.#controller.signal.reason as FileAgentError;
    if (e instanceof FileAgentError) return e;
    return translate(e);
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#caller?.removeEventListener("abort", this.#onCallerAbort);
  }
}
