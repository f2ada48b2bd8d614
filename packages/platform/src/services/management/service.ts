// The management service: files, functions and tasks.
import type { Clock } from "../../clock.js";
import type { Store } from "../../storage/index.js";
import { FileRegistry } from "./files.js";
import { FunctionRegistry } from "./functions.js";
import type { ManagementLimits } from "./limits.js";
import { TaskRegistry, type TaskEvents } from "./tasks.js";

export class ManagementService {
  readonly files: FileRegistry;
  readonly functions: FunctionRegistry;
  readonly tasks: TaskRegistry;

  constructor(store: Store, clock: Clock, limits: ManagementLimits, events: TaskEvents) {
    this.files = new FileRegistry(store, clock, limits);
    this.functions = new FunctionRegistry(store, clock, limits);
    this.tasks = new TaskRegistry(store, clock, limits, events);
  }
}
