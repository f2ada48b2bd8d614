// builtin-echo (spec/teaclave-compat.md §6.1): returns its `message` argument.
import type { BuiltinFunction } from "../types.js";
import { argString } from "./args.js";

export const echo: BuiltinFunction = {
  name: "builtin-echo",
  async run(ctx) {
    const message = argString(ctx.args, "message");
    // Teaclave logs the message at INFO; the task log goes only to the task's participants, who
    // supplied the message themselves (its functional tests look for this line).
    ctx.log(message);
    return message;
  },
};
