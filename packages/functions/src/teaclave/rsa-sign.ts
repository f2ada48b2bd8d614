// builtin-rsa-sign (§6.10): signs the UTF-8 bytes of `data` with the RSA private key in input
// `rsa_key` (PKCS#1 RSAPrivateKey, DER, as ring's RsaKeyPair::from_der reads it), RSASSA-PKCS1-v1_5
// with SHA-256. Returns the signature in standard base64.
import { createPrivateKey, sign, type KeyObject } from "node:crypto";
import { FunctionError, type BuiltinFunction } from "../types.js";
import { argString } from "./args.js";

/** Default limits: a DER key of at most 16 KiB, data of at most 16 MiB. */
export const RSA_KEY_MAX_BYTES = 16 * 1024;
export const RSA_DATA_MAX_BYTES = 16 * 1024 * 1024;
// ring accepts 2048..4096-bit keys for signing; so do we.
const MIN_BITS = 2048;
const MAX_BITS = 4096;

export const rsaSign: BuiltinFunction = {
  name: "builtin-rsa-sign",
  async run(ctx) {
    const data = argString(ctx.args, "data");
    if (Buffer.byteLength(data, "utf8") > RSA_DATA_MAX_BYTES)
      throw new FunctionError("LIMIT_EXCEEDED", `data is larger than ${RSA_DATA_MAX_BYTES} bytes`);
    const der = await ctx.readInput("rsa_key", RSA_KEY_MAX_BYTES);
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: der, format: "der", type: "pkcs1" });
    } catch {
      throw new FunctionError("INVALID_INPUT", "input rsa_key is not a DER-encoded PKCS#1 RSA private key");
    }
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (key.asymmetricKeyType !== "rsa" || bits < MIN_BITS || bits > MAX_BITS)
      throw new FunctionError(
        "INVALID_INPUT",
        `input rsa_key must be an RSA key of ${MIN_BITS} to ${MAX_BITS} bits, got ${bits}`,
      );
    return sign("sha256", Buffer.from(data, "utf8"), key).toString("base64");
  },
};
