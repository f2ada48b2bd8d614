// Why an internal endpoint refused a caller: the operator's only view of it, since the caller sees
// nothing but its connection close. Reasons name codes and measurements, never keys or tokens.
export function reportRefusal(service: string, error: Error): void {
  const code = (error as { code?: unknown }).code;
  process.stderr.write(
    `${service}: refused a caller${typeof code === "string" ? ` (${code})` : ""}: ${error.message}\n`,
  );
}
