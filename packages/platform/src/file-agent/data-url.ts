// data:[<mediatype>][;base64],<data> (RFC 2397, decoded as the WHATWG fetch standard does, but strictly:
// malformed base64 or percent escapes are refused rather than guessed at). Download only.
import { FileAgentError } from "./errors.js";

const BASE64_FLAG = /;[ \t]*base64[ \t]*$/i;
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;
const ASCII_WHITESPACE = /[\t\n\f\r ]/g;

function invalid(why: string): FileAgentError {
  return new FileAgentError("INVALID_URL", `data: URL ${why}`);
}

/** The bytes a data: URL stands for; TOO_LARGE past `maxBytes`. The media type is not used. */
export function decodeDataUrl(url: string, maxBytes: number): Buffer {
  if (!/^data:/i.test(url)) throw invalid("expected");
  const hash = url.indexOf("#");
  const rest = url.slice("data:".length, hash === -1 ? undefined : hash);
  const comma = rest.indexOf(",");
  if (comma === -1) throw invalid("has no comma");
  const meta = rest.slice(0, comma);
  const body = percentDecode(rest.slice(comma + 1));
  const bytes = BASE64_FLAG.test(meta) ? decodeBase64(body) : body;
  if (bytes.length > maxBytes)
    throw new FileAgentError("TOO_LARGE", `data: URL holds more than ${maxBytes} bytes`);
  return bytes;
}

function decodeBase64(encoded: Buffer): Buffer {
  const text = encoded.toString("latin1").replace(ASCII_WHITESPACE, "");
  // Forgiving base64: padding optional, but if present the length must come out to a multiple of 4.
  if (!BASE64_BODY.test(text) || text.length % 4 === 1 || (text.endsWith("=") && text.length % 4 !== 0)) {
    throw invalid("has malformed base64");
  }
  return Buffer.from(text, "base64");
}

const HEX = /^[0-9a-fA-F]{2}$/;

function percentDecode(text: string): Buffer {
  const input = Buffer.from(text, "utf8");
  const output = Buffer.allocUnsafe(input.length);
  let length = 0;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i] as number;
    if (byte !== 0x25) {
      output[length++] = byte;
      continue;
    }
    const hex = input.toString("latin1", i + 1, i + 3);
    if (!HEX.test(hex)) throw invalid("has a malformed percent escape");
    output[length++] = Number.parseInt(hex, 16);
    i += 2;
  }
  return output.subarray(0, length);
}
