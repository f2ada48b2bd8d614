// The authentication service: user accounts, roles, passwords and tokens (spec §3.2).
import { randomBytes, timingSafeEqual } from "node:crypto";
import {
  authorizeListUsers,
  authorizeManageUser,
  authorizeRegisterUser,
} from "../../access-control/index.js";
import type { Clock } from "../../clock.js";
import { PlatformError, invalidArgument, notFound, permissionDenied, unauthenticated } from "../../errors.js";
import { parseRole, roleToString, sameRole, type Role } from "../../domain/roles.js";
import { type Caller, type User, isValidUserId } from "../../domain/users.js";
import type { Store } from "../../storage/index.js";
import { Passwords, type PasswordHashing } from "./passwords.js";
import { DEFAULT_LOGIN_THROTTLE, LoginThrottle, type LoginThrottleConfig } from "./throttle.js";
import { Tokens } from "./tokens.js";

export interface AuthenticationConfig {
  readonly tokenTtlSeconds: number;
  readonly minPasswordLength: number;
  readonly maxPasswordLength: number;
  readonly passwordHashing?: PasswordHashing;
  /** Delays after failed logins; default DEFAULT_LOGIN_THROTTLE. */
  readonly loginThrottle?: LoginThrottleConfig;
}

export const DEFAULT_AUTHENTICATION_CONFIG: AuthenticationConfig = {
  tokenTtlSeconds: 24 * 3600,
  minPasswordLength: 8,
  maxPasswordLength: 1024,
};

export interface UserFields {
  readonly id: string;
  readonly password: string;
  readonly role: string;
  readonly attribute: string;
}

const newGeneration = () => randomBytes(16).toString("hex");

export class AuthenticationService {
  private constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly config: AuthenticationConfig,
    private readonly passwords: Passwords,
    private readonly tokens: Tokens,
    private readonly throttle: LoginThrottle,
  ) {}

  static async open(
    store: Store,
    clock: Clock,
    config: AuthenticationConfig,
  ): Promise<AuthenticationService> {
    const tokens = await Tokens.open(store, clock, config.tokenTtlSeconds);
    const throttle = new LoginThrottle(config.loginThrottle ?? DEFAULT_LOGIN_THROTTLE, clock);
    return new AuthenticationService(
      store,
      clock,
      config,
      new Passwords(config.passwordHashing),
      tokens,
      throttle,
    );
  }

  /**
   * Creates the bootstrap PlatformAdmin if it does not exist yet. Returns the password it set, or null
   * when the account already existed.
   */
  async ensureAdmin(id: string, password: string | undefined): Promise<string | null> {
    const exists = await this.store.transaction((tx) => tx.get("user", id));
    if (exists) return null;
    const chosen = password ?? randomBytes(16).toString("hex");
    this.checkPassword(chosen);
    const user = await this.newUser(id, chosen, { kind: "PlatformAdmin", group: "" });
    try {
      await this.store.transaction((tx) => tx.insert("user", id, user));
    } catch (error) {
      // Another process created it first: that account stands.
      if (error instanceof PlatformError && error.code === "ALREADY_EXISTS") return null;
      throw error;
    }
    return chosen;
  }

  async register(caller: Caller, fields: UserFields): Promise<void> {
    this.checkUserId(fields.id);
    const role = parseRole(fields.role, fields.attribute);
    authorizeRegisterUser(caller, role);
    this.checkPassword(fields.password);
    const user = await this.newUser(fields.id, fields.password, role);
    await this.store.transaction(async (tx) => {
      if (await tx.get("user", fields.id)) throw new PlatformError("ALREADY_EXISTS", "user id exist");
      await tx.insert("user", fields.id, user);
    });
  }

  /** Replaces password, role and attribute; revokes the user's tokens. */
  async update(caller: Caller, fields: UserFields): Promise<void> {
    this.checkUserId(fields.id);
    const role = parseRole(fields.role, fields.attribute);
    this.checkPassword(fields.password);
    const target = await this.requireUser(fields.id);
    authorizeManageUser(caller, target, role);
    const passwordHash = await this.passwords.hash(fields.password);
    await this.store.transaction(async (tx) => {
      const current = await tx.get("user", fields.id);
      // Re-check inside the transaction: the target may have changed since the check above.
      if (!current) throw notFound(`user ${fields.id} does not exist`);
      authorizeManageUser(caller, current, role);
      await tx.update("user", fields.id, {
        ...current,
        role,
        passwordHash,
        tokenGeneration: newGeneration(),
        updatedAt: this.clock.now(),
      });
    });
  }

  /** Checks a password and issues a token; `address` is the client's, for throttling guesses. */
  async login(id: string, password: string, address?: string): Promise<string> {
    if (!isValidUserId(id) || password.length === 0 || password.length > this.config.maxPasswordLength)
      throw unauthenticated();
    let user: User | undefined;
    const ok = await this.throttle.attempt({ userId: id, address }, async () => {
      user = await this.store.transaction((tx) => tx.get("user", id));
      return (await this.passwords.verify(user?.passwordHash, password)) && user !== undefined;
    });
    if (!ok || !user) throw unauthenticated();
    return this.tokens.issue(user.id, roleToString(user.role), user.tokenGeneration);
  }

  /** Changes the caller's own password and revokes all of its tokens, the current one included. */
  async changePassword(caller: Caller, password: string): Promise<void> {
    this.checkPassword(password);
    const passwordHash = await this.passwords.hash(password);
    await this.store.transaction(async (tx) => {
      const user = await tx.get("user", caller.id);
      if (!user) throw unauthenticated();
      await tx.update("user", caller.id, {
        ...user,
        passwordHash,
        tokenGeneration: newGeneration(),
        updatedAt: this.clock.now(),
      });
    });
  }

  /** Sets a new random password (returned once) and revokes the user's tokens. */
  async resetPassword(caller: Caller, id: string): Promise<string> {
    this.checkUserId(id);
    authorizeManageUser(caller, await this.requireUser(id));
    const password = randomBytes(16).toString("hex");
    const passwordHash = await this.passwords.hash(password);
    await this.store.transaction(async (tx) => {
      const user = await tx.get("user", id);
      if (!user) throw notFound(`user ${id} does not exist`);
      authorizeManageUser(caller, user);
      await tx.update("user", id, {
        ...user,
        passwordHash,
        tokenGeneration: newGeneration(),
        updatedAt: this.clock.now(),
      });
    });
    return password;
  }

  async delete(caller: Caller, id: string): Promise<void> {
    this.checkUserId(id);
    if (id === caller.id) throw permissionDenied("a user cannot delete its own account");
    await this.store.transaction(async (tx) => {
      const user = await tx.get("user", id);
      if (!user) throw notFound(`user ${id} does not exist`);
      authorizeManageUser(caller, user);
      await tx.delete("user", id);
    });
  }

  async list(caller: Caller, group: string): Promise<string[]> {
    const scope = authorizeListUsers(caller, group);
    const users = await this.store.transaction((tx) => tx.list("user"));
    return users
      .filter((u) => scope === "all" || sameRole(u.role, scope))
      .map((u) => u.id)
      .sort();
  }

  /** Validates a credential; the caller's role comes from the account as it is now. */
  async authenticate(id: string, token: string): Promise<Caller> {
    if (!isValidUserId(id)) throw unauthenticated();
    const claims = await this.tokens.verify(id, token);
    const user = await this.store.transaction((tx) => tx.get("user", id));
    if (!user) throw unauthenticated();
    const a = Buffer.from(claims.gen, "utf8");
    const b = Buffer.from(user.tokenGeneration, "utf8");
    if (a.length !== b.length || !timingSafeEqual(a, b)) throw unauthenticated();
    return { id: user.id, role: user.role };
  }

  private async requireUser(id: string): Promise<User> {
    const user = await this.store.transaction((tx) => tx.get("user", id));
    if (!user) throw notFound(`user ${id} does not exist`);
    return user;
  }

  private async newUser(id: string, password: string, role: Role): Promise<User> {
    const now = this.clock.now();
    return {
      id,
      role,
      passwordHash: await this.passwords.hash(password),
      tokenGeneration: newGeneration(),
      createdAt: now,
      updatedAt: now,
    };
  }

  private checkUserId(id: string): void {
    if (!isValidUserId(id)) throw invalidArgument("user id must be 1-128 letters, digits or _.@:+=-");
  }

  private checkPassword(password: string): void {
    const { minPasswordLength: min, maxPasswordLength: max } = this.config;
    if (password.length < min || password.length > max)
      throw invalidArgument(`password must be ${min} to ${max} characters`);
  }
}
