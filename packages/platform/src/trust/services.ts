// The attested services of a deployment and which of them may call which.
/** The services that present attested endpoints. */
export const SERVICES = [
  "authentication",
  "frontend",
  "management",
  "storage",
  "scheduler",
  "execution",
] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Which services may call which (inbound allow-lists of the internal endpoints). */
export const INBOUND: Readonly<Partial<Record<ServiceName, readonly ServiceName[]>>> = {
  authentication: ["frontend"],
  management: ["frontend"],
  scheduler: ["execution"],
};
