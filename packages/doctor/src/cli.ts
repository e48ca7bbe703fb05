#!/usr/bin/env node
// The lbkit-doctor command (also `lbkit doctor`): parses the arguments, runs the checks, prints, sets the exit code.
import { parseArgs } from 'node:util';
import { isLbkitError } from '@lbkit/core';
import { PROFILE_NAMES } from '@lbkit/profiles';
import { runDoctor } from './doctor.js';
import { formatFindings } from './report.js';
import type { DoctorOptions } from './types.js';

const USAGE = `usage: lbkit-doctor <url> [options]     (or: lbkit doctor <url> [options])
  --live <path>            liveness probe (default /health/live)
  --ready <path>           readiness probe (default /health/ready)
  --startup <path|none>    startup probe (default /health/startup)
  --health <path|none>     detailed health report (default /health)
  --whoami <path|none>     route answering the resolved client as JSON { ip, host } (default /whoami)
  --metrics <path|none>    metrics path (default /metrics)
  --idle-timeout <s>       the balancer's idle timeout, in seconds
  --behind <profiles>      the balancer's idle timeout and probe interval from @lbkit/profiles, as
                           LBKIT_BEHIND names them (kubernetes,aws-alb): ${PROFILE_NAMES.join(', ')}
  --max-wait <s>           longest idle wait for the keep-alive measurement (default 120)
  --timeout <ms>           per-request timeout (default 5000)
  --pid <pid>              SIGTERM this local process and check its drain
  --probe-interval <s>     the balancer's probe interval (default 5)
  --drain-timeout <s>      longest wait for the drain to end (default 60)
  --json                   print the findings as JSON
exit code: 0 no failure, 1 a failure, 2 usage error
`;

class UsageError extends Error {}

function number(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed))
    throw new UsageError(`--${flag} must be a number, got ${JSON.stringify(value)}`);
  return parsed;
}

const optionalPath = (value: string | undefined): string | false | undefined =>
  value === 'none' ? false : value;

/** Reads argv (without node and the script) into the URL, runDoctor's options and the output format. */
function parseCommandLine(
  argv: readonly string[],
): { url: string; options: DoctorOptions; json: boolean } | 'help' {
  const args = argv[0] === 'doctor' ? argv.slice(1) : argv;
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length === 0 ? 'the instance URL is missing' : `one URL, got ${positionals.join(' ')}`,
    );
  const options: DoctorOptions = {
    live: values.live,
    ready: values.ready,
    startup: optionalPath(values.startup),
    health: optionalPath(values.health),
    whoami: optionalPath(values.whoami),
    metrics: optionalPath(values.metrics),
    idleTimeoutS: number('idle-timeout', values['idle-timeout']),
    // runDoctor() resolves it with @lbkit/profiles; an unknown name is a coded error, exit 2.
    behind: values.behind,
    maxWaitS: number('max-wait', values['max-wait']),
    requestTimeoutMs: number('timeout', values.timeout),
    pid: number('pid', values.pid),
    probeIntervalS: number('probe-interval', values['probe-interval']),
    drainTimeoutS: number('drain-timeout', values['drain-timeout']),
  };
  return { url: positionals[0]!, options, json: values.json === true };
}

function parse(args: readonly string[]) {
  const text = { type: 'string' } as const;
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      live: text,
      ready: text,
      startup: text,
      health: text,
      whoami: text,
      metrics: text,
      'idle-timeout': text,
      behind: text,
      'max-wait': text,
      timeout: text,
      pid: text,
      'probe-interval': text,
      'drain-timeout': text,
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

async function main(): Promise<number> {
  let command: ReturnType<typeof parseCommandLine>;
  try {
    command = parseCommandLine(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`lbkit-doctor: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    const findings = await runDoctor(command.url, {
      ...command.options,
      onProgress: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(
      command.json ? `${JSON.stringify({ findings }, null, 2)}\n` : formatFindings(findings),
    );
    return findings.some((f) => f.status === 'fail') ? 1 : 0;
  } catch (error) {
    if (!isLbkitError(error)) throw error;
    process.stderr.write(`lbkit-doctor: ${error.message}\n`);
    return 2;
  }
}

process.exitCode = await main();
