// URLs in messages and logs: presigned URLs (S3 and the like) carry credentials in the query string and
// URLs may carry user:password, so only scheme, host and path are ever shown.

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;
const MAX_PATH_CHARS = 200;

/** `scheme://host/path` of `url`, without credentials, query or fragment; never throws. */
export function redactUrl(url: string): string {
  if (typeof url !== "string") return "(invalid URL)";
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return "(invalid URL)";
  // A data: URL is its own content: show none of it.
  if (scheme === "data") return "data:…";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${scheme}:…`;
  }
  // Opaque URLs (javascript:, mailto:) have no host/path structure worth showing.
  if (!parsed.href.startsWith(`${parsed.protocol}//`)) return `${scheme}:…`;
  const path =
    parsed.pathname.length > MAX_PATH_CHARS
      ? `${parsed.pathname.slice(0, MAX_PATH_CHARS)}…`
      : parsed.pathname;
  return `${parsed.protocol}//${parsed.host}${path}`;
}
