import type { Role } from "./roles.js";

export interface User {
  readonly id: string;
  readonly role: Role;
  /** argon2id PHC string. */
  readonly passwordHash: string;
  /** Random value carried in every token; rotating it revokes all of the user's tokens. */
  readonly tokenGeneration: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** The authenticated caller of an API, as established by the frontend. */
export interface Caller {
  readonly id: string;
  readonly role: Role;
}

const USER_ID = /^[A-Za-z0-9_.@:+=-]{1,128}$/;

export function isValidUserId(id: string): boolean {
  return USER_ID.test(id);
}
