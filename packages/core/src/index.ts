// Public entry of @lbkit/core: re-exports only.
export {
  type DrainHold,
  type DrainHoldEvents,
  type DrainHoldOptions,
  DrainHolds,
  type ReleaseDrainHold,
} from './drain-holds.js';
export { isLbkitError, LbkitError } from './errors.js';
export { type Connection, InFlight, type Observation, type RequestObserver } from './in-flight.js';
export { defaultLifecycle, isLifecycle, Lifecycle } from './lifecycle.js';
export type {
  AnyServer,
  ConnectionKind,
  ConnectionState,
  CoreErrorCode,
  InFlightEvents,
  InFlightSnapshot,
  LifecycleEvents,
  LifecycleState,
  LifecycleTransition,
} from './types.js';
