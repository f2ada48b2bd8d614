// Session tokens: JWTs signed with an Ed25519 key generated once and kept sealed in the store, so tokens
// survive a restart. Each token carries the user's token generation; rotating it revokes the tokens.
import {
  generateKeyPairSync,
  type KeyObject,
  createPrivateKey,
  createPublicKey,
  randomBytes,
} from "node:crypto";
import { SignJWT, jwtVerify } from "jose";
import type { Clock } from "../../clock.js";
import { unauthenticated } from "../../errors.js";
import type { Store } from "../../storage/index.js";

export const TOKEN_ISSUER = "mesatee";
const SIGNING_KEY_ID = "token-signing-key";
const MAX_TOKEN_LENGTH = 4096;

export interface TokenClaims {
  readonly sub: string;
  readonly role: string;
  readonly gen: string;
  readonly exp: number;
}

export class Tokens {
  private constructor(
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
    private readonly clock: Clock,
    private readonly ttlSeconds: number,
  ) {}

  /** Loads the signing key from the store, creating it on first use. */
  static async open(store: Store, clock: Clock, ttlSeconds: number): Promise<Tokens> {
    const pem = await store.transaction(async (tx) => {
      const existing = await tx.get("secret", SIGNING_KEY_ID);
      if (existing) return existing.value;
      const { privateKey } = generateKeyPairSync("ed25519");
      const value = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
      await tx.insert("secret", SIGNING_KEY_ID, { value });
      return value;
    });
    const privateKey = createPrivateKey(pem);
    return new Tokens(privateKey, createPublicKey(privateKey), clock, ttlSeconds);
  }

  async issue(userId: string, role: string, generation: string): Promise<string> {
    const now = Math.floor(this.clock.now() / 1000);
    return new SignJWT({ role, gen: generation })
      .setProtectedHeader({ alg: "EdDSA", typ: "JWT" })
      .setIssuer(TOKEN_ISSUER)
      .setSubject(userId)
      .setIssuedAt(now)
      .setExpirationTime(now + this.ttlSeconds)
      .setJti(randomBytes(12).toString("base64url"))
      .sign(this.privateKey);
  }

  /** Verifies signature, issuer, subject and expiry; the caller checks the generation against the store. */
  async verify(userId: string, token: string): Promise<TokenClaims> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw unauthenticated();
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        algorithms: ["EdDSA"],
        issuer: TOKEN_ISSUER,
        subject: userId,
        currentDate: new Date(this.clock.now()),
        clockTolerance: 0,
      });
      if (
        typeof payload.role !== "string" ||
        typeof payload.gen !== "string" ||
        typeof payload.exp !== "number"
      )
        throw unauthenticated();
      return { sub: userId, role: payload.role, gen: payload.gen, exp: payload.exp };
    } catch {
      throw unauthenticated();
    }
  }
}
