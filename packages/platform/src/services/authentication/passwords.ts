// Password hashing with argon2id (memory-hard). Verification of an unknown user still runs a full
// argon2 verification against a fixed hash, so response time does not reveal which user ids exist.
import { hash, verify } from "@node-rs/argon2";

// Algorithm.Argon2id (a const enum, which isolated modules cannot import).
const ARGON2ID = 2;

export interface PasswordHashing {
  /** KiB */
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

/** OWASP's argon2id minimum: 19 MiB, 2 passes, 1 lane. */
export const DEFAULT_PASSWORD_HASHING: PasswordHashing = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

export class Passwords {
  private dummy: Promise<string> | undefined;

  constructor(private readonly params: PasswordHashing = DEFAULT_PASSWORD_HASHING) {}

  hash(password: string): Promise<string> {
    return hash(password, { algorithm: ARGON2ID, ...this.params });
  }

  /** Constant-time check; `stored` undefined means "no such user" and always fails. */
  async verify(stored: string | undefined, password: string): Promise<boolean> {
    if (stored === undefined) {
      this.dummy ??= this.hash("mesatee-no-such-user");
      await verify(await this.dummy, password).catch(() => false);
      return false;
    }
    return verify(stored, password).catch(() => false);
  }
}
