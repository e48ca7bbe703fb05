// Public entry of @lbkit/balancer-feedback: re-exports only.
export { createAgentCheck, isAgentCheck } from './agent-check.js';
export { agentReply, weightPercent } from './agent-reply.js';
export { createLoadGauge } from './load-gauge.js';
export { createLoadReport, formatOrcaText, isLoadReport, ORCA_HEADER } from './orca.js';
export { slowStartFactor } from './slow-start.js';
export type {
  AgentCheck,
  AgentCheckOptions,
  FeedbackErrorCode,
  LoadOptions,
  LoadReading,
  LoadReport,
  LoadReportOptions,
  OrcaReport,
  ShedderLoad,
  SlowStartOptions,
} from './types.js';
