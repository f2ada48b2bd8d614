// Time is passed in, never reached for, so expiry and leases are testable with a fake clock.
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
