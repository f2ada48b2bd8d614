// Entry point of the `mesatee` command: one sub-command module per area. Only the module of the command
// being run is loaded (encrypting a file should not load the whole platform); help loads them all.
import { Command } from "commander";

type Register = (program: Command) => void;

const AREAS: Record<string, () => Promise<Register>> = {
  platform: async () => {
    const [{ registerUpCommand }, { registerServeCommand }] = await Promise.all([
      import("./commands/up.js"),
      import("./commands/serve.js"),
    ]);
    return (p) => {
      registerUpCommand(p);
      registerServeCommand(p);
    };
  },
  crypto: async () => (await import("./commands/crypto.js")).registerCryptoCommands,
  attestation: async () => (await import("./commands/attestation.js")).registerAttestationCommands,
};

const AREA_OF_COMMAND: Record<string, keyof typeof AREAS> = {
  up: "platform",
  serve: "platform",
  init: "platform",
  encrypt: "crypto",
  decrypt: "crypto",
  attestation: "attestation",
  attest: "attestation",
  policy: "attestation",
  verify: "attestation",
};

export async function buildProgram(command?: string): Promise<Command> {
  const program = new Command("mesatee")
    .description("MesaTEE: secure computing on private data in trusted execution environments")
    .showHelpAfterError();
  const area = command !== undefined ? AREA_OF_COMMAND[command] : undefined;
  const areas = area ? [area] : Object.keys(AREAS);
  for (const register of await Promise.all(areas.map((a) => AREAS[a]!()))) register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await (await buildProgram(argv[2])).parseAsync(argv);
}
