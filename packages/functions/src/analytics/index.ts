// MesaTEE's analytics functions: the catalogue entries and the factories that take explicit limits.
import type { BuiltinFunction } from "../types.js";
import { createPsiFunction } from "./psi/psi.js";

export { createPsiFunction, DEFAULT_PSI_LIMITS, type PsiLimits } from "./psi/psi.js";

/** MesaTEE's own built-in functions with their default limits, for the registry. */
export const analyticsFunctions: readonly BuiltinFunction[] = [createPsiFunction()];
