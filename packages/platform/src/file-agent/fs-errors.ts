// Node's file-system errors, translated. Paths are local and carry no credentials, so they may appear.
import { FileAgentError } from "./errors.js";

export function fsError(e: unknown, what: string): FileAgentError {
  if (e instanceof FileAgentError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT" || code === "ENOTDIR")
    return new FileAgentError("NOT_FOUND", `${what}: not found`, { cause: e });
  if (code === "EEXIST") return new FileAgentError("EXISTS", `${what}: already exists`, { cause: e });
  return new FileAgentError("IO", `${what}: ${code ?? "I/O error"}`, { cause: e });
}

/** Whether `e` came from the file system rather than from the network. */
export function isFsError(e: unknown): boolean {
  const syscall = (e as NodeJS.ErrnoException | undefined)?.syscall;
  return (
    syscall !== undefined &&
    ["open", "read", "write", "close", "fstat", "stat", "link", "rename"].includes(syscall)
  );
}
