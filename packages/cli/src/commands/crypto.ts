// `mesatee encrypt` / `mesatee decrypt` (Teaclave-compatible flags).
import type { Command } from "commander";

export function registerCryptoCommands(_program: Command): void {}
