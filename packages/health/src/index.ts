// Public entry of @lbkit/health: re-exports only.
export { eventLoopDelayCheck } from './checks/event-loop-delay.js';
export { heapCheck } from './checks/heap.js';
export { mongodbCheck } from './checks/mongodb.js';
export { mysqlCheck } from './checks/mysql.js';
export { postgresCheck } from './checks/postgres.js';
export { redisCheck } from './checks/redis.js';
export { rssCheck } from './checks/rss.js';
export { createHealth, isHealth } from './health.js';
export { HEALTH_CONTENT_TYPE } from './responses.js';
export type {
  CheckChange,
  CheckFunction,
  CheckOptions,
  CheckReport,
  CheckResult,
  CheckRunResult,
  EventLoopDelayCheckOptions,
  Health,
  HealthBodyContext,
  HealthCheck,
  HealthCheckInput,
  HealthErrorCode,
  HealthOptions,
  HealthPaths,
  HealthReport,
  HealthResponse,
  HealthStatus,
  HealthStatusCodes,
  HeapCheckOptions,
  MongodbCheckOptions,
  MysqlCheckOptions,
  PostgresCheckOptions,
  Probe,
  ProbeName,
  RedisCheckOptions,
  RssCheckOptions,
  ShutdownFailureEvent,
  WarmUpOptions,
  WarmUpOutcome,
  WarmUpTarget,
  WarmUpTask,
} from './types.js';
