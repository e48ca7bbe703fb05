// The load shedder: admits, queues or rejects each request under an adaptive concurrency limit.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Lifecycle } from '@lbkit/core';
import { brand } from '@lbkit/core/internal';
import { AdmissionQueue, type QueueEntry } from './admission-queue.js';
import { Backstops } from './backstops.js';
import {
  AdaptiveConcurrencyLimit,
  type ConcurrencyLimit,
  FixedConcurrencyLimit,
} from './concurrency-limit.js';
import { type ResolvedOptions, resolveOptions } from './options.js';
import {
  buildBodies,
  makeRejection,
  type RejectionBodies,
  retryAfterSeconds,
  writeRejection,
} from './rejection.js';
import { compileExemption } from './route-match.js';
import { OverloadSignals } from './signals.js';
import type {
  LoadSheddingOptions,
  Priority,
  RejectHandler,
  Rejection,
  RejectionReason,
  SheddingSnapshot,
  SignalReadings,
} from './types.js';

/** One non-exempt request from arrival to the end of its response. */
interface Ticket extends QueueEntry {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Hands the request on (the framework's `next`/`done`). */
  readonly proceed: () => void;
  readonly reject: ((rejection: Rejection) => void) | undefined;
  /** Clock time it was handed on. */
  startedAt: number;
  /** How long the loop had been busy in the turn it started in, before it got to it. */
  waitMs: number;
  state: 'queued' | 'running' | 'done';
}

const PRIORITIES: ReadonlySet<string> = new Set(['critical', 'default', 'sheddable']);
// Shedding that pauses for longer than this counts as having stopped.
const SHEDDING_GAP_MS = 1000;
const BUCKET_MS = 1000;
const LOAD_SHEDDER = brand<LoadShedder>('loadShedder');

/**
 * Admits each request now, queues it, or answers 503 — before the framework parses its body.
 *
 * A request holds its slot under the concurrency limit until its response has finished **and the
 * event loop has finished the turn in which that happened**. For asynchronous handlers that is the
 * usual requests-in-flight count. For handlers that burn CPU synchronously, requests never overlap,
 * so a plain in-flight count stays at 1 while the real queue builds up in the sockets, out of
 * sight; holding the slot until the loop yields turns the limit into "requests served per loop
 * turn", which bounds how long the requests read in the next turn have to wait, and moves the
 * queue into the admission queue, where it can be measured, reordered and cut. A budget of handler
 * time per turn (`turnBudgetMs`) does the same before the limit has samples to adapt from, and
 * whenever request costs jump faster than the limit follows. While the queue is overloaded, it is
 * served at the end of each turn (a `setImmediate`, after the poll phase has read everything that
 * arrived), newest first.
 */
export class LoadShedder {
  /** The lifecycle whose in-flight tracking this shedder feeds. */
  readonly lifecycle: Lifecycle;
  /** The custom response hook from the options, for adapters that write rejections themselves. */
  readonly onReject: RejectHandler | undefined;
  readonly #options: ResolvedOptions;
  readonly #limit: ConcurrencyLimit;
  readonly #queue: AdmissionQueue | undefined;
  readonly #signals: OverloadSignals;
  readonly #backstops: Backstops;
  readonly #isExempt: (req: IncomingMessage) => boolean;
  readonly #bodies: RejectionBodies;
  readonly #onStopped: () => void;
  #active = 0;
  #turnHeld = 0;
  #turnStart: number | undefined;
  /** Event-loop idle time (ms, cumulative) when the turn started: waiting for I/O is not work. */
  #idleAtTurnStart = 0;
  /** Milliseconds spent running admitted requests' handlers during this turn. */
  #turnWork = 0;
  /** True while a chain of admissions from the queue is under way (see `#admitNext`). */
  #admitting = false;
  /** True while that chain is the one the end of the turn started. */
  #admittingAtTurnEnd = false;
  /** Tickets taken out of the queue at an overloaded turn's end, answered once its admissions ran. */
  readonly #lateDrops: Ticket[] = [];
  #turnEnd: NodeJS.Immediate | undefined;
  #expiry: NodeJS.Timeout | undefined;
  #expiryAt = Number.POSITIVE_INFINITY;
  #closed = false;
  #admitted = 0;
  readonly #rejected: Record<RejectionReason, number> = {
    stopped: 0,
    backstop: 0,
    overloaded: 0,
    'queue-timeout': 0,
    'queue-full': 0,
  };
  /** The same counts split by priority, for metrics labelled by reason and priority. */
  readonly #rejectedByPriority: Record<Priority, Record<RejectionReason, number>> = {
    critical: { ...this.#rejected },
    default: { ...this.#rejected },
    sheddable: { ...this.#rejected },
  };
  #abandoned = 0;
  #sheddingSince: number | undefined;
  #lastShedAt = Number.NEGATIVE_INFINITY;
  #bucketStart: number;
  #bucket = { admitted: 0, rejected: 0, completed: 0 };
  #previous = { admitted: 0, rejected: 0, completed: 0 };

  constructor(options: LoadSheddingOptions = {}) {
    LOAD_SHEDDER.mark(this);
    const o = resolveOptions(options);
    this.#options = o;
    this.lifecycle = o.lifecycle;
    this.onReject = o.onReject;
    this.#limit =
      typeof o.limit === 'number'
        ? new FixedConcurrencyLimit(o.limit)
        : new AdaptiveConcurrencyLimit(o.limit, o.clock);
    this.#queue = o.queue === false ? undefined : new AdmissionQueue(o.queue);
    this.#backstops = new Backstops(o.backstops);
    this.#isExempt = compileExemption(o.exempt, o.liveness);
    this.#bodies = buildBodies(o.format);
    this.#bucketStart = o.clock();
    this.#signals = new OverloadSignals(o.signals, (readings) => this.#onSignals(readings));
    this.#signals.start();
    this.#onStopped = () => this.#flushStopped();
    this.lifecycle.on('stopped', this.#onStopped);
  }

  /** The concurrency limit in force. */
  get limit(): number {
    return this.#limit.limit;
  }

  /** Slots held: admitted requests not finished, plus those finished in the current loop turn. */
  get inFlight(): number {
    return this.#active + this.#turnHeld;
  }

  /** Requests waiting in the admission queue. */
  get queued(): number {
    return this.#queue?.size ?? 0;
  }

  /**
   * Decides for one request: calls `next()` when it is admitted (at once or after queueing), or
   * writes a 503 (with `reject` when given, else `onReject`, else the default response). The
   * request is tracked by the lifecycle's in-flight counter in every case.
   */
  admit(
    req: IncomingMessage,
    res: ServerResponse,
    next: () => void,
    reject?: (rejection: Rejection) => void,
  ): void {
    const lifecycle = this.lifecycle;
    lifecycle.inFlight.track(req, res);
    if (this.#closed || this.#isExempt(req)) {
      next();
      return;
    }
    const now = this.#options.clock();
    this.#touchTurn(now);
    const priority = this.#classify(req);
    if (lifecycle.state === 'stopped') {
      this.#reject(req, res, reject, 'stopped', priority, now);
      return;
    }
    const queue = this.#queue;
    let startNow = false;
    if (priority === 'critical') startNow = true;
    else if (this.#backstops.any) {
      this.#reject(req, res, reject, 'backstop', priority, now);
      return;
    } else {
      startNow =
        (queue === undefined || queue.size === 0) &&
        this.inFlight < this.#limit.limit &&
        (queue === undefined || this.#turnWork < this.#options.turnBudgetMs);
      if (!startNow && (queue === undefined || (priority === 'sheddable' && queue.overloaded(now)))) {
        this.#reject(req, res, reject, 'overloaded', priority, now);
        return;
      }
    }
    const ticket: Ticket = {
      req,
      res,
      proceed: next,
      reject,
      // Critical requests never wait, so they never need a queue of their own.
      priority: priority === 'sheddable' ? 'sheddable' : 'default',
      startedAt: now,
      waitMs: 0,
      queuedAt: now,
      prev: undefined,
      next: undefined,
      queued: false,
      state: 'queued',
    };
    res.once('close', () => this.#onClose(ticket));
    if (startNow) {
      this.#start(ticket);
      return;
    }
    const evicted = queue!.push(ticket, now) as Ticket | undefined;
    if (evicted) this.#drop(evicted, 'queue-full', now);
    this.#pump(now);
  }

  /** Counters, limit and signals as they are now. */
  snapshot(): SheddingSnapshot {
    const now = this.#options.clock();
    this.#roll(now);
    return {
      limit: this.#limit.limit,
      warm: this.#limit.warm,
      inFlight: this.inFlight,
      queued: this.queued,
      overloaded: this.#queue?.overloaded(now) ?? false,
      sheddingForMs: this.sheddingForMs(now),
      shedRatio: this.shedRatio(now),
      admitted: this.#admitted,
      rejected: { ...this.#rejected },
      rejectedByPriority: {
        critical: { ...this.#rejectedByPriority.critical },
        default: { ...this.#rejectedByPriority.default },
        sheddable: { ...this.#rejectedByPriority.sheddable },
      },
      abandoned: this.#abandoned,
      baselineLatencyMs: this.#limit.baselineMs,
      backstops: [...this.#backstops.tripped],
      signals: this.#signals.latest,
      lifecycleInFlight: this.lifecycle.inFlight.requests,
    };
  }

  /** How long shedding has gone on without a pause of a second or more, in milliseconds. */
  sheddingForMs(now: number = this.#options.clock()): number {
    if (this.#sheddingSince === undefined || now - this.#lastShedAt > SHEDDING_GAP_MS) return 0;
    return now - this.#sheddingSince;
  }

  /** Share of non-exempt requests shed over the last one to two seconds, 0–1. */
  shedRatio(now: number = this.#options.clock()): number {
    this.#roll(now);
    const rejected = this.#bucket.rejected + this.#previous.rejected;
    const total = rejected + this.#bucket.admitted + this.#previous.admitted;
    return total === 0 ? 0 : rejected / total;
  }

  /**
   * Stops the sampling timer and detaches from the lifecycle. Queued requests are admitted; from
   * now on every request passes straight through.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#signals.close();
    this.lifecycle.off('stopped', this.#onStopped);
    if (this.#turnEnd) clearImmediate(this.#turnEnd);
    if (this.#expiry) clearTimeout(this.#expiry);
    this.#turnEnd = undefined;
    this.#expiry = undefined;
    // Taken out of the queue to be answered at the turn end, which will not come now: admitted too.
    for (const t of this.#lateDrops.splice(0)) if (t.state === 'queued') this.#start(t);
    const queue = this.#queue;
    if (!queue) return;
    const now = this.#options.clock();
    for (let t = queue.shift(now) as Ticket | undefined; t; t = queue.shift(now) as Ticket | undefined)
      this.#start(t);
  }

  #classify(req: IncomingMessage): Priority {
    const classify = this.#options.classify;
    if (!classify) return 'default';
    const priority = classify(req);
    // An unknown answer is treated as `default`, never as a reason to shed or to bypass the limit.
    return PRIORITIES.has(priority) ? priority : 'default';
  }

  /**
   * Starts a turn if none is running. A turn is the work the loop does between two reads of new
   * requests: one loop iteration's poll phase and the check phase after it (where the turn ends).
   */
  #touchTurn(now: number): void {
    if (this.#turnStart !== undefined) return;
    this.#turnStart = now;
    this.#idleAtTurnStart = performance.eventLoopUtilization().idle;
    this.#turnEnd ??= setImmediate(this.#onTurnEnd);
  }

  /** Milliseconds of work in the current turn so far: whoever starts now has waited that long for the loop. */
  #turnBusy(now: number): number {
    if (this.#turnStart === undefined) return 0;
    // A turn begun by a response finishing late in the check phase spans the idle wait before the
    // next poll; that wait is no work and must not count against the next requests.
    return now - this.#turnStart - (performance.eventLoopUtilization().idle - this.#idleAtTurnStart);
  }

  readonly #onTurnEnd = (): void => {
    this.#turnEnd = undefined;
    this.#turnHeld = 0;
    if (this.#closed) {
      this.#turnStart = undefined;
      return;
    }
    // The end of the turn: every request the poll phase read is known, so an overloaded queue picks
    // the newest now, with what the turn's budget has left. The turn closes when that is done.
    if (!this.#pump(this.#options.clock(), true)) this.#closeTurn();
  };

  #closeTurn(): void {
    this.#turnStart = undefined;
    this.#turnWork = 0;
    if (this.#lateDrops.length > 0) this.#dropAll(this.#lateDrops.splice(0), this.#options.clock());
    if (this.#closed) return;
    // Slots held by requests that finished in this turn are released at the next turn's end; what
    // is still queued for lack of budget (not of slots: a finishing request pumps then) gets the
    // next turn's budget, even if no new event starts that turn.
    if (this.#turnHeld > 0 || ((this.#queue?.size ?? 0) > 0 && this.inFlight < this.#limit.limit)) {
      this.#turnEnd ??= setImmediate(this.#onTurnEnd);
    }
  }

  /** Hands `ticket` on; returns the milliseconds its handler ran synchronously. */
  #start(ticket: Ticket): number {
    const now = this.#options.clock();
    this.#touchTurn(now);
    ticket.startedAt = now;
    ticket.waitMs = this.#turnBusy(now);
    ticket.state = 'running';
    this.#active++;
    this.#admitted++;
    this.#bucket.admitted++;
    this.#limit.onStart(this.inFlight);
    try {
      ticket.proceed();
    } finally {
      // Synchronous handler work (the whole of a CPU-bound handler) counts against the turn budget.
      this.#turnWork += this.#options.clock() - now;
    }
    return this.#options.clock() - now;
  }

  #onClose(ticket: Ticket): void {
    const now = this.#options.clock();
    if (ticket.state === 'queued') {
      ticket.state = 'done';
      // Still queued, or taken out to be answered late: either way its client left while waiting.
      this.#queue?.remove(ticket, now);
      this.#abandoned++;
      return;
    }
    if (ticket.state !== 'running') return;
    ticket.state = 'done';
    this.#active--;
    if (this.#closed) return;
    this.#turnHeld++;
    this.#touchTurn(now);
    this.#bucket.completed++;
    this.#limit.onSample(now - ticket.startedAt, ticket.waitMs);
    this.#pump(now);
  }

  /**
   * Drops what waited too long, then admits from the queue while slots and the turn budget allow.
   * While the queue is overloaded, admission waits for the end of the turn (`atTurnEnd`), when the
   * newest request the turn has read is known: serving in the middle of a poll phase would pick the
   * oldest of the requests read so far. Returns true when a chain of admissions started.
   */
  #pump(now: number, atTurnEnd = false): boolean {
    const queue = this.#queue;
    if (!queue || queue.size === 0 || this.#admitting) return false;
    const overloaded = queue.overloaded(now);
    // What waited too long leaves the queue now, so it is never admitted. While overloaded, its
    // 503s are written once the turn's admissions ran (the turn end is due: a turn is open): writing
    // them is no reason to keep the requests admitted at the turn end waiting.
    const expired = queue.expired(now) as Ticket[];
    if (overloaded && (atTurnEnd || this.#turnEnd !== undefined)) this.#lateDrops.push(...expired);
    else this.#dropAll(expired, now);
    if (!atTurnEnd && overloaded) {
      if (queue.size > 0) this.#armExpiry(now);
      return false;
    }
    if (!this.#canAdmit()) {
      this.#dropAll(this.#lateDrops.splice(0), now);
      if (queue.size > 0) this.#armExpiry(now);
      return false;
    }
    this.#admitting = true;
    this.#admittingAtTurnEnd = atTurnEnd;
    this.#admitNext();
    return true;
  }

  #canAdmit(): boolean {
    const queue = this.#queue;
    return (
      !this.#closed &&
      queue !== undefined &&
      queue.size > 0 &&
      this.inFlight < this.#limit.limit &&
      this.#turnWork < this.#options.turnBudgetMs
    );
  }

  /**
   * Admits one request from the queue, then the next once its handler's promise callbacks have
   * run: an async route (and Fastify's reply) writes the response in a microtask, which must not
   * wait behind the next request's CPU work. A `process.nextTick` queued from a microtask runs once
   * the microtask queue is empty, still in the same phase of the same loop iteration.
   */
  #admitNext(): void {
    const clock = this.#options.clock;
    const ticket = this.#queue!.shift(clock()) as Ticket;
    const started = clock();
    let synchronous = 0;
    try {
      synchronous = this.#start(ticket);
    } catch (error) {
      // A throwing handler must not strand the rest of the queue; it still surfaces.
      process.nextTick(() => {
        throw error;
      });
    }
    queueMicrotask(() =>
      process.nextTick(() => {
        // The microtasks (response writing) belong to the handler's work too.
        this.#turnWork += Math.max(0, clock() - started - synchronous);
        if (this.#canAdmit()) {
          this.#admitNext();
          return;
        }
        this.#admitting = false;
        const now = clock();
        this.#dropAll(this.#lateDrops.splice(0), now);
        if ((this.#queue?.size ?? 0) > 0) this.#armExpiry(now);
        if (this.#admittingAtTurnEnd) this.#closeTurn();
      }),
    );
  }

  #armExpiry(now: number): void {
    const deadline = this.#queue?.nextDeadline(now);
    if (deadline === undefined || deadline >= this.#expiryAt) return;
    if (this.#expiry) clearTimeout(this.#expiry);
    this.#expiryAt = deadline;
    this.#expiry = setTimeout(
      () => {
        this.#expiry = undefined;
        this.#expiryAt = Number.POSITIVE_INFINITY;
        this.#pump(this.#options.clock());
      },
      Math.max(1, Math.ceil(deadline - now)),
    );
    this.#expiry.unref();
  }

  /** Answers 503 to each expired ticket whose client is still there. */
  #dropAll(tickets: Ticket[], now: number): void {
    for (const ticket of tickets) if (ticket.state === 'queued') this.#drop(ticket, 'queue-timeout', now);
  }

  #drop(ticket: Ticket, reason: RejectionReason, now: number): void {
    ticket.state = 'done';
    this.#reject(ticket.req, ticket.res, ticket.reject, reason, ticket.priority, now);
  }

  #reject(
    req: IncomingMessage,
    res: ServerResponse,
    custom: ((rejection: Rejection) => void) | undefined,
    reason: RejectionReason,
    priority: Priority,
    now: number,
  ): void {
    this.#rejected[reason]++;
    this.#rejectedByPriority[priority][reason]++;
    this.#bucket.rejected++;
    if (this.#sheddingSince === undefined || now - this.#lastShedAt > SHEDDING_GAP_MS)
      this.#sheddingSince = now;
    this.#lastShedAt = now;
    const drainMs = reason === 'stopped' ? 0 : this.#drainMs(now);
    const rejection = makeRejection(
      reason,
      priority,
      retryAfterSeconds(drainMs, this.#options.retryAfter, Math.random()),
      this.#bodies,
    );
    if (custom) custom(rejection);
    else if (this.onReject) this.onReject(rejection, req, res);
    else writeRejection(rejection, req, res);
  }

  /** Time to serve what is queued and in flight at the recent completion rate. */
  #drainMs(now: number): number {
    this.#roll(now);
    const elapsed = BUCKET_MS + (now - this.#bucketStart);
    const completed = this.#previous.completed + this.#bucket.completed;
    const backlog = this.queued + this.inFlight;
    if (backlog === 0) return 0;
    return completed === 0 ? Number.POSITIVE_INFINITY : (backlog * elapsed) / completed;
  }

  #roll(now: number): void {
    const age = now - this.#bucketStart;
    if (age < BUCKET_MS) return;
    this.#previous = age < 2 * BUCKET_MS ? this.#bucket : { admitted: 0, rejected: 0, completed: 0 };
    this.#bucket = { admitted: 0, rejected: 0, completed: 0 };
    this.#bucketStart = now - (age % BUCKET_MS);
  }

  #onSignals(readings: SignalReadings): void {
    this.#backstops.update(readings);
    this.#limit.onEventLoopDelay(readings.eventLoopDelayMs);
    const now = this.#options.clock();
    this.#roll(now);
    this.#pump(now);
  }

  #flushStopped(): void {
    const now = this.#options.clock();
    this.#dropAll(this.#lateDrops.splice(0), now);
    const queue = this.#queue;
    if (!queue) return;
    for (let t = queue.shift(now) as Ticket | undefined; t; t = queue.shift(now) as Ticket | undefined) {
      this.#drop(t, 'stopped', now);
    }
  }
}

/**
 * True when `value` is a LoadShedder, made by this copy of @lbkit/shedding or another one, where
 * `instanceof` fails (adapters accept options or a shedder).
 */
export function isLoadShedder(value: unknown): value is LoadShedder {
  return LOAD_SHEDDER.is(value);
}
