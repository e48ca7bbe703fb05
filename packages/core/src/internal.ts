// Internal entry of @lbkit/core (`@lbkit/core/internal`): mechanisms lbkit's own packages share. Not a public API.
export { type Brand, brand } from './brand.js';
export { lifecycleOption } from './lifecycle-option.js';
export {
  answerUncalledFactory,
  closestName,
  isRequestLike,
  MAX_TIMER_MS,
  OptionReader,
  type PackageCode,
  show,
} from './options.js';
export {
  classNames,
  detectRedisClient,
  type RedisClientKind,
  type RedisDriver,
  type RedisTopology,
} from './redis-driver.js';
export { type TimeoutOptions, withTimeout } from './timeout.js';
