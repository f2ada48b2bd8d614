// Slows password guessing: after a few failed logins for one user id, or many from one client address,
// further attempts are refused for a delay that doubles with each failure (capped), without checking the
// password, so a refused attempt costs no password hashing either. A success clears the user id's record
// (not the address's: an attacker's own account must not reset its address). Records of quiet keys are
// forgotten after the longest delay, and the number kept is bounded. In memory: a restart forgets them.
import type { Clock } from "../../clock.js";
import { PlatformError } from "../../errors.js";

export interface LoginThrottleConfig {
  /** Failed logins for one user id before delays start. */
  readonly freeFailuresPerUser: number;
  /** Failed logins from one client address (any user ids) before delays start. */
  readonly freeFailuresPerAddress: number;
  /** The first delay; each further failure doubles it. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Records kept at most (the oldest are dropped first). */
  readonly maxTracked: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleConfig = {
  freeFailuresPerUser: 5,
  freeFailuresPerAddress: 50,
  baseDelayMs: 1_000,
  maxDelayMs: 15 * 60_000,
  maxTracked: 100_000,
};

interface Record {
  failures: number;
  lastFailureAt: number;
  blockedUntil: number;
}

export interface LoginSource {
  readonly userId: string;
  readonly address: string | undefined;
}

export class LoginThrottle {
  private readonly records = new Map<string, Record>();

  constructor(
    private readonly config: LoginThrottleConfig,
    private readonly clock: Clock,
  ) {}

  /**
   * Called before the password is checked: refuses the attempt if its user id or address is waiting out
   * a delay, and otherwise counts it as failed until `succeeded` says otherwise, so that guesses sent in
   * parallel cannot all pass before the first failure is counted.
   */
  begin(source: LoginSource): void {
    const now = this.clock.now();
    let until = 0;
    for (const key of this.keys(source)) until = Math.max(until, this.current(key, now)?.blockedUntil ?? 0);
    if (until > now)
      throw new PlatformError(
        "TOO_MANY_ATTEMPTS",
        `too many failed logins; retry in ${Math.ceil((until - now) / 1000)} s`,
      );
    for (const key of this.keys(source)) {
      const record = this.current(key, now) ?? { failures: 0, lastFailureAt: now, blockedUntil: 0 };
      record.failures++;
      record.lastFailureAt = now;
      const over = record.failures - this.free(key);
      if (over > 0)
        record.blockedUntil =
          now + Math.min(this.config.maxDelayMs, this.config.baseDelayMs * 2 ** Math.min(over - 1, 30));
      // Re-inserted so the map's order is least recently failed first.
      this.records.delete(key);
      this.records.set(key, record);
    }
    for (const oldest of this.records.keys()) {
      if (this.records.size <= this.config.maxTracked) break;
      this.records.delete(oldest);
    }
  }

  /** The attempt begun for `source` succeeded: clear the user id's record, take back the address's count. */
  succeeded(source: LoginSource): void {
    this.records.delete(`u:${source.userId}`);
    if (source.address === undefined) return;
    const key = `a:${source.address}`;
    const record = this.records.get(key);
    if (!record) return;
    record.failures = Math.max(0, record.failures - 1);
    if (record.failures <= this.free(key)) record.blockedUntil = 0;
  }

  private free(key: string): number {
    return key.startsWith("u:") ? this.config.freeFailuresPerUser : this.config.freeFailuresPerAddress;
  }

  private keys(source: LoginSource): string[] {
    return source.address === undefined
      ? [`u:${source.userId}`]
      : [`u:${source.userId}`, `a:${source.address}`];
  }

  /** The key's record, unless it has been quiet long enough to be forgotten. */
  private current(key: string, now: number): Record | undefined {
    const record = this.records.get(key);
    if (record && now - record.lastFailureAt > this.config.maxDelayMs) {
      this.records.delete(key);
      return undefined;
    }
    return record;
  }
}
