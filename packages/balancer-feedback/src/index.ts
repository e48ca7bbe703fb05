// Public entry of @lbkit/balancer-feedback: re-exports only.
export { createAgentCheck } from './agent-check.js';
export { agentReply, weightPercent } from './agent-reply.js';
export { createLoadGauge } from './load-gauge.js';
export { createLoadReport, formatOrcaText, ORCA_HEADER } from './orca.js';
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
} from './types.js';
