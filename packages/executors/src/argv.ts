// Teaclave's flat argument vector (spec §5.1): [k1, v1, k2, v2, …] with keys sorted by their UTF-8
// bytes (serde_json's map is a BTreeMap), string values verbatim, other JSON values as JSON text.
export function flatArgv(args: Readonly<Record<string, unknown>>): string[] {
  const keys = Object.keys(args).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const argv: string[] = [];
  for (const key of keys) {
    const value = args[key];
    argv.push(key, typeof value === "string" ? value : (JSON.stringify(value) ?? "null"));
  }
  return argv;
}
