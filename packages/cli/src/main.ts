// Entry point of the `mesatee` command: one sub-command module per area.
import { Command } from "commander";
import { registerCryptoCommands } from "./commands/crypto.js";
import { registerAttestationCommands } from "./commands/attestation.js";
import { registerUpCommand } from "./commands/up.js";
import { registerServeCommand } from "./commands/serve.js";

export function buildProgram(): Command {
  const program = new Command("mesatee")
    .description("MesaTEE: secure computing on private data in trusted execution environments")
    .showHelpAfterError();
  registerUpCommand(program);
  registerServeCommand(program);
  registerCryptoCommands(program);
  registerAttestationCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
