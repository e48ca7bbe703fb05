// Express adapter of @lbkit/balancer-feedback: orcaLoadReport() sets the ORCA load header on every response.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createLoadReport,
  isLoadReport,
  type LoadReport,
  type LoadReportOptions,
  ORCA_HEADER,
} from '@lbkit/balancer-feedback';
import { answerUncalledFactory } from '@lbkit/core/internal';
import type { NextFunction } from './types.js';

/** The middleware returned by {@link orcaLoadReport}, with the reporter it uses. */
export interface OrcaLoadReportMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: NextFunction): void;
  /** The reporter: `loadReport.report()` for the figures. */
  readonly loadReport: LoadReport;
}

/**
 * Adds `endpoint-load-metrics: TEXT application_utilization=…, …` to every response, for balancers
 * that read ORCA load reports (Envoy, gRPC). Opt-in: mount it where the balancer should see it. The
 * figures are taken when the request arrives. The agent-check responder is framework-independent:
 * `createAgentCheck()` from @lbkit/balancer-feedback. Pass options, or a reporter made with
 * `createLoadReport()` to share it.
 */
export function orcaLoadReport(options: LoadReportOptions | LoadReport = {}): OrcaLoadReportMiddleware {
  // biome-ignore lint/complexity/noArguments: mounted uncalled, the factory gets (req, res, next), more than it declares
  if (answerUncalledFactory('EXPRESS', 'orcaLoadReport', arguments)) return undefined as never;
  const loadReport = isLoadReport(options) ? options : createLoadReport(options);
  const middleware = function orcaLoadReportMiddleware(
    _req: IncomingMessage,
    res: ServerResponse,
    next: NextFunction,
  ): void {
    // setHeader() refuses a response whose headers are sent (an earlier middleware answered and
    // passed it on): that case is caught rather than tested first, since reading res.headersSent
    // costs more per request than setting the header.
    try {
      res.setHeader(ORCA_HEADER, loadReport.headerValue());
    } catch (error) {
      if (!res.headersSent) throw error;
    }
    next();
  };
  return Object.assign(middleware, { loadReport });
}
