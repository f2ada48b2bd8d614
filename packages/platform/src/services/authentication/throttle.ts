// Slows password guessing: after a few failed logins for one user id, or many from one client address,
// further attempts are refused for a delay that doubles with each failure (capped), without checking the
// password, so a refused attempt costs no password hashing either. Attempts for one user id are checked
// one at a time. A success clears the user id's record (not the address's: an attacker's own account
// must not reset its address). Records of quiet keys are forgotten after the longest delay, and the
// number kept is bounded. In memory: a restart forgets them.
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
  /** The last attempt queued per user id: attempts for one id are checked one at a time. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly config: LoginThrottleConfig,
    private readonly clock: Clock,
  ) {}

  /**
   * Runs one login attempt: `verify` checks the password. Attempts for one user id run one after the
   * other, each counted before the next starts, so guesses sent in parallel gain nothing (and parallel
   * logins with the right password all succeed). Refuses with TOO_MANY_ATTEMPTS, without calling
   * `verify`, while the user id or the address waits out a delay.
   */
  async attempt(source: LoginSource, verify: () => Promise<boolean>): Promise<boolean> {
    const userKey = `u:${source.userId}`;
    const previous = this.queues.get(userKey) ?? Promise.resolve();
    const turn = previous.then(() => this.check(source, verify));
    const tail = turn.catch(() => undefined);
    this.queues.set(userKey, tail);
    try {
      return await turn;
    } finally {
      if (this.queues.get(userKey) === tail) this.queues.delete(userKey);
    }
  }

  private async check(source: LoginSource, verify: () => Promise<boolean>): Promise<boolean> {
    const now = this.clock.now();
    let until = 0;
    for (const key of this.keys(source)) until = Math.max(until, this.current(key, now)?.blockedUntil ?? 0);
    if (until > now)
      throw new PlatformError(
        "TOO_MANY_ATTEMPTS",
        `too many failed logins; retry in ${Math.ceil((until - now) / 1000)} s`,
      );
    const ok = await verify();
    if (ok) this.records.delete(`u:${source.userId}`);
    else this.failed(source);
    return ok;
  }

  private failed(source: LoginSource): void {
    const now = this.clock.now();
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
