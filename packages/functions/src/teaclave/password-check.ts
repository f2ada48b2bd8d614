// builtin-password-check (§6.13): is the password (first line of `password`) among the lines of
// `exposed_passwords`? Every entry is compared, in constant time, so the time taken does not reveal
// where (or whether) the password matched.
import { createHash, timingSafeEqual } from "node:crypto";
import { FunctionError, type BuiltinFunction } from "../types.js";
import { readText, splitLines } from "./text.js";

/** Default limits: a password of at most 4 KiB, a list of at most 64 MiB. */
export const PASSWORD_MAX_BYTES = 4096;
export const EXPOSED_PASSWORDS_MAX_BYTES = 64 * 1024 * 1024;

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

export const passwordCheck: BuiltinFunction = {
  name: "builtin-password-check",
  async run(ctx) {
    const passwordText = await readText(ctx, "password", PASSWORD_MAX_BYTES);
    const first = splitLines(passwordText)[0];
    if (first === undefined) throw new FunctionError("INVALID_INPUT", "input password is empty");
    const wanted = digest(first.trim());
    const list = splitLines(await readText(ctx, "exposed_passwords", EXPOSED_PASSWORDS_MAX_BYTES));
    let found = 0;
    for (const line of list) {
      // Hashing first gives equal-length buffers, so the comparison itself cannot leak a length.
      found |= timingSafeEqual(wanted, digest(line.trim())) ? 1 : 0;
    }
    return found === 1 ? "true" : "false";
  },
};
