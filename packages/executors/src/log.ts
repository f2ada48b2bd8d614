// The function's log output. Teaclave keeps a task's log only when its arguments say
// `save_log: "true"` (spec §5.6); lines carry Teaclave's "[LEVEL module] message" shape.
import type { FunctionContext } from "@mesatee/functions";

export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR";

export interface FunctionLog {
  readonly enabled: boolean;
  write(level: LogLevel, message: string): void;
}

export function functionLog(ctx: FunctionContext, source: string): FunctionLog {
  const enabled = ctx.args.save_log === "true";
  return {
    enabled,
    write(level, message) {
      if (enabled) ctx.log(`[${level} ${source}] ${message}`);
    },
  };
}
