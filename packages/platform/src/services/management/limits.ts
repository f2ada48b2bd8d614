// Bounds on what a single request may create. Every one has a default; operators may change them.
export interface ManagementLimits {
  readonly maxUrlLength: number;
  readonly maxNameLength: number;
  readonly maxDescriptionLength: number;
  readonly maxPayloadBytes: number;
  readonly maxArguments: number;
  readonly maxFiles: number;
  readonly maxOwners: number;
  readonly maxAllowlist: number;
  readonly maxArgumentsJsonBytes: number;
  /** Directories `file:` URLs may point into; empty = `file:` URLs refused. */
  readonly fileUrlRoots: readonly string[];
}

export const DEFAULT_MANAGEMENT_LIMITS: ManagementLimits = {
  maxUrlLength: 4096,
  maxNameLength: 256,
  maxDescriptionLength: 4096,
  maxPayloadBytes: 3 * 1024 * 1024,
  maxArguments: 256,
  maxFiles: 64,
  maxOwners: 64,
  maxAllowlist: 4096,
  maxArgumentsJsonBytes: 256 * 1024,
  fileUrlRoots: [],
};
