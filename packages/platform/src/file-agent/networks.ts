// Networks the agent never contacts. The check runs on resolved addresses (not host names), so a name
// that resolves to a blocked address, or a redirect to one, is refused before any packet is sent.
import { BlockList, isIP } from "node:net";

/** Link-local: cloud metadata endpoints (169.254.169.254) live here. */
export const DEFAULT_BLOCKED_NETWORKS: readonly string[] = ["169.254.0.0/16", "fe80::/10"];

export class NetworkBlockList {
  readonly #list = new BlockList();

  /** Throws RangeError naming the first entry that is not `address` or `address/prefix`. */
  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const parsed = parseCidr(cidr);
      if (parsed === undefined) throw new RangeError(`not a CIDR: ${JSON.stringify(cidr)}`);
      this.#list.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
  }

  /** Whether `address` (an IP literal) is blocked; IPv4-mapped IPv6 addresses count as IPv4. */
  blocks(address: string): boolean {
    const bare = address.replace(/%.*$/, ""); // drop an IPv6 zone id
    const version = isIP(bare);
    if (version === 0) return true; // not an address: refuse rather than guess
    return this.#list.check(bare, version === 4 ? "ipv4" : "ipv6");
  }
}

function parseCidr(cidr: unknown): { address: string; prefix: number; family: "ipv4" | "ipv6" } | undefined {
  if (typeof cidr !== "string") return undefined;
  const [address = "", prefixText, extra] = cidr.trim().split("/");
  if (extra !== undefined) return undefined;
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText)) return undefined;
    prefix = Number(prefixText);
    if (prefix > max) return undefined;
  }
  return { address, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}
