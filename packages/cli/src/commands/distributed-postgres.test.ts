// Distributed mode with every service's state in one PostgreSQL database (database_url).
import { distributedSuite } from "./distributed-suite.js";

distributedSuite({ postgres: true });
