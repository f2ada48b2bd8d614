// Distributed mode with each service's state in SQLite files in the shared data directory.
import { distributedSuite } from "./distributed-suite.js";

distributedSuite();
