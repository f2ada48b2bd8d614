// `mesatee attestation verify`, `mesatee attest`, `mesatee policy`, `mesatee verify`.
import type { Command } from "commander";

export function registerAttestationCommands(_program: Command): void {}
