// The load shedder's admission: admits, queues or rejects each request under an adaptive concurrency limit.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Lifecycle, Observation, RequestObserver } from '@lbkit/core';
import { brand } from '@lbkit/core/internal';
import { AdmissionQueue, type QueueEntry } from './admission-queue.js';
import { Backstops } from './backstops.js';
import {
  AdaptiveConcurrencyLimit,
  type ConcurrencyLimit,
  FixedConcurrencyLimit,
} from './concurrency-limit.js';
import { LoopTurn } from './loop-turn.js';
import { type ResolvedOptions, resolveOptions } from './options.js';
import { PressureGauge } from './pressure-source.js';
import { RejectDecision } from './reject-decision.js';
import { buildBodies, makeRejection, type RejectionBodies, retryAfterSeconds } from './rejection.js';
import { compileExemption, ProbePaths } from './route-match.js';
import { SheddingStats } from './shedding-stats.js';
import { OverloadSignals } from './signals.js';
import { SlowStart } from './slow-start.js';
import type {
  LoadSheddingOptions,
  Priority,
  RejectHandler,
  Rejection,
  RejectionChannel,
  RejectionReason,
  SheddingSnapshot,
  SignalReadings,
} from './types.js';

/**
 * A request that waits in the admission queue (or may): from arrival to the end of its response.
 * A request admitted at once needs none; its start and queueing delay live on its observation.
 */
interface Ticket extends QueueEntry {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Hands the request on (the framework's `next`/`done`). */
  readonly proceed: () => void;
  /** How the framework sends a rejection, or what builds it (only a rejected request needs one). */
  readonly channel: RejectionChannel | ChannelFactory | undefined;
  /** What `channel`, when it is a factory, builds the channel from (Fastify: the reply). */
  readonly context: unknown;
  /** InFlight's hold on the request: once started, its start time and, as data, its queueing delay. */
  readonly observation: Observation;
  state: 'queued' | 'running' | 'done';
}

/**
 * Builds the channel of one request from the adapter's `context` and the request's `next`, only
 * when that request is rejected: an admitted request allocates nothing for a rejection it never gets.
 */
export type ChannelFactory = (context: unknown, next: () => void) => RejectionChannel;

const PRIORITIES: ReadonlySet<string> = new Set(['critical', 'default', 'sheddable']);
/** The observation's `data` of a rejected request: decided, nothing to do at its end. */
const REJECTED = Symbol('lbkit.shedding.rejected');
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
 * time per turn (`turnBudgetMs`, see {@link LoopTurn}) does the same before the limit has samples
 * to adapt from, and whenever request costs jump faster than the limit follows. While the queue is
 * overloaded, it is served at the end of each turn, newest first. The counting is
 * {@link SheddingStats}'s; how a rejection is answered is {@link RejectDecision}'s.
 */
export class LoadShedder implements RequestObserver {
  /** The lifecycle whose in-flight tracking this shedder feeds. */
  readonly lifecycle: Lifecycle;
  /** The custom response hook from the options. */
  readonly onReject: RejectHandler | undefined;
  readonly #options: ResolvedOptions;
  readonly #limit: ConcurrencyLimit;
  readonly #queue: AdmissionQueue<Ticket> | undefined;
  readonly #signals: OverloadSignals;
  readonly #backstops: Backstops;
  readonly #pressure: PressureGauge | undefined;
  readonly #isExempt: (req: IncomingMessage) => boolean;
  readonly #probes: ProbePaths;
  readonly #bodies: RejectionBodies;
  readonly #decision: RejectDecision;
  readonly #stats: SheddingStats;
  readonly #turn: LoopTurn;
  readonly #slowStart: SlowStart | undefined;
  /** An adaptive limit's `initial` (a fixed limit's value): what slow start ramps up to while it is cold. */
  readonly #coldLimit: number;
  readonly #onStopped: () => void;
  /** `concurrencyLimit: false`: thresholds only, no request tracked (see {@link #admitOnThresholds}). */
  readonly #thresholdsOnly: boolean;
  /** True with the default clock, `performance.now()`: InFlight's readings of it are reused then. */
  readonly #realClock: boolean;
  #active = 0;
  /** True while a chain of admissions from the queue is under way (see `#admitNext`). */
  #admitting = false;
  /** True while that chain is the one the end of the turn started. */
  #admittingAtTurnEnd = false;
  /** Tickets taken out of the queue at an overloaded turn's end, answered once its admissions ran. */
  readonly #lateDrops: Ticket[] = [];
  #expiry: NodeJS.Timeout | undefined;
  #expiryAt = Number.POSITIVE_INFINITY;
  #closed = false;

  constructor(options: LoadSheddingOptions = {}) {
    LOAD_SHEDDER.mark(this);
    const o = resolveOptions(options);
    this.#options = o;
    this.lifecycle = o.lifecycle;
    this.onReject = o.onReject;
    this.#thresholdsOnly = o.limit === false;
    this.#limit =
      o.limit === false
        ? new FixedConcurrencyLimit(Number.POSITIVE_INFINITY)
        : typeof o.limit === 'number'
          ? new FixedConcurrencyLimit(o.limit)
          : new AdaptiveConcurrencyLimit(o.limit, o.clock);
    this.#slowStart = o.slowStart ? new SlowStart(o.lifecycle, o.slowStart) : undefined;
    this.#coldLimit =
      o.limit === false ? Number.POSITIVE_INFINITY : typeof o.limit === 'number' ? o.limit : o.limit.initial;
    this.#queue = o.queue === false ? undefined : new AdmissionQueue<Ticket>(o.queue);
    this.#backstops = new Backstops(o.backstops);
    this.#isExempt = compileExemption(o.exempt, o.liveness);
    this.#probes = new ProbePaths(o.health);
    this.#bodies = buildBodies(o.format, o.message);
    this.#decision = new RejectDecision(o);
    this.#stats = new SheddingStats(o.clock);
    this.#turn = new LoopTurn(() => this.#onTurnEnd());
    this.#pressure = o.underPressure ? new PressureGauge(o.underPressure) : undefined;
    this.#signals = new OverloadSignals(
      o.signals,
      (readings) => this.#onSignals(readings),
      o.backstops.rssBytes !== undefined,
    );
    this.#signals.start();
    // A synchronous source is known from the first request on, as under-pressure's first check is.
    if (this.#pressure) {
      this.#pressure.sample();
      this.#backstops.update(this.#signals.latest, this.#pressure.under);
    }
    this.#onStopped = () => this.#flushStopped();
    this.#realClock = options.clock === undefined;
    this.lifecycle.on('stopped', this.#onStopped);
  }

  /**
   * True when every decision reads only the raw node:http request and answers with the default
   * 503 (no `classify`, no `exempt` function, no `onReject`, `rejectWith: 'response'`): an adapter
   * may then decide before its framework has touched the request (the Express adapter does).
   */
  get rawDecision(): boolean {
    const o = this.#options;
    return (
      o.classify === undefined &&
      typeof o.exempt !== 'function' &&
      o.onReject === undefined &&
      o.rejectWith === 'response'
    );
  }

  /** The concurrency limit in force (during `slowStartMs`, the ramped one). */
  get limit(): number {
    return this.#limitAt();
  }

  /**
   * Slots held: admitted requests not finished, plus those finished in the current loop turn. With
   * `concurrencyLimit: false` there are no slots: the lifecycle's count of requests in flight.
   */
  get inFlight(): number {
    if (this.#thresholdsOnly) return this.lifecycle.inFlight.requests;
    return this.#active + this.#turn.held;
  }

  /** Requests waiting in the admission queue. */
  get queued(): number {
    return this.#queue?.size ?? 0;
  }

  /** The latest readings of the overload signals (event-loop delay and utilisation, heap, RSS). */
  get signals(): SignalReadings {
    return this.#signals.latest;
  }

  /**
   * True while every request that is not `critical` is shed: a backstop (a threshold, or the
   * custom pressure source) is tripped, or the lifecycle is `stopped`. @fastify/under-pressure's
   * `isUnderPressure()`; a route can use it to skip optional work.
   */
  isUnderPressure(): boolean {
    return this.#backstops.any || this.lifecycle.state === 'stopped';
  }

  /**
   * Decides for one request: calls `next()` when it is admitted (at once or after queueing), or
   * answers it with a 503 — the decision of how is the shedder's (`onReject`, `rejectWith`, the
   * default), `channel` only says how the framework sends (see {@link RejectionChannel}). A
   * function as `channel` is its `send`. The request is tracked by the lifecycle's in-flight
   * counter in every case, except with `concurrencyLimit: false`, which tracks nothing.
   */
  admit(
    req: IncomingMessage,
    res: ServerResponse,
    next: () => void,
    channel?: RejectionChannel | ((rejection: Rejection) => void),
  ): void {
    this.admitVia(req, res, next, typeof channel === 'function' ? { send: channel } : channel, undefined);
  }

  /**
   * {@link admit} for adapters: `channel` may be a {@link ChannelFactory}, called with `context`
   * and `next` only for a request that is rejected, so an admitted request costs no allocation
   * for its rejection. A request this shedder has already seen (the Express adapter decides at
   * the server's `request` event, then meets the request again as middleware) is handed on at
   * once, without being counted twice.
   */
  admitVia(
    req: IncomingMessage,
    res: ServerResponse,
    next: () => void,
    channel: RejectionChannel | ChannelFactory | undefined,
    context: unknown,
  ): void {
    if (this.#thresholdsOnly) {
      this.#admitOnThresholds(req, res, next, channel, context);
      return;
    }
    // InFlight tracks the request and tells this shedder of its end: no listener of its own, and
    // its clock reads are the shedder's too. A request decided already carries data: the Express
    // adapter's middleware meets what its gate at the server's request event admitted.
    const seen = this.lifecycle.inFlight.observe(req, res, this);
    if (seen.data !== undefined) {
      next();
      return;
    }
    if (this.#closed || this.#isExempt(req) || this.#probes.has(req)) {
      next();
      return;
    }
    const now = this.#realClock && seen.fresh ? seen.at : this.#options.clock();
    seen.startedAt = now;
    this.#turn.touch(now);
    const priority = this.#classify(req);
    if (this.lifecycle.state === 'stopped') {
      seen.data = REJECTED;
      this.#reject(req, res, channel, context, next, 'stopped', priority, now);
      return;
    }
    const queue = this.#queue;
    let startNow = false;
    if (priority === 'critical') startNow = true;
    else if (this.#backstops.any) {
      seen.data = REJECTED;
      this.#reject(req, res, channel, context, next, 'backstop', priority, now);
      return;
    } else {
      startNow =
        (queue === undefined || queue.size === 0) &&
        this.inFlight < this.#limitAt(now) &&
        (queue === undefined || this.#turn.hasBudget(this.#options.turnBudgetMs));
      if (!startNow && (queue === undefined || (priority === 'sheddable' && queue.overloaded(now)))) {
        seen.data = REJECTED;
        this.#reject(req, res, channel, context, next, 'overloaded', priority, now);
        return;
      }
    }
    if (startNow) {
      // Admitted at once: the queueing delay is all the shedder keeps (no ticket).
      const waitMs = this.#turn.busy(now);
      seen.data = waitMs;
      this.#run(next, now);
      return;
    }
    const ticket: Ticket = {
      req,
      res,
      proceed: next,
      channel,
      context,
      // Critical requests never wait, so they never need a queue of their own.
      priority: priority === 'sheddable' ? 'sheddable' : 'default',
      observation: seen,
      queuedAt: now,
      prev: undefined,
      next: undefined,
      queued: false,
      state: 'queued',
    };
    seen.data = ticket;
    const evicted = queue!.push(ticket, now);
    if (evicted) this.#drop(evicted, 'queue-full', now);
    this.#pump(now);
  }

  /**
   * `concurrencyLimit: false`: under-pressure's model. Nothing is counted per request but the
   * admission, nothing waits, no end is listened for; the clock is read only to reject.
   */
  #admitOnThresholds(
    req: IncomingMessage,
    res: ServerResponse,
    next: () => void,
    channel: RejectionChannel | ChannelFactory | undefined,
    context: unknown,
  ): void {
    if (this.#closed || this.#isExempt(req) || this.#probes.has(req)) {
      next();
      return;
    }
    const priority = this.#classify(req);
    if (this.lifecycle.state === 'stopped') {
      this.#reject(req, res, channel, context, next, 'stopped', priority, this.#options.clock());
      return;
    }
    if (this.#backstops.any && priority !== 'critical') {
      this.#reject(req, res, channel, context, next, 'backstop', priority, this.#options.clock());
      return;
    }
    this.#stats.onAdmitted();
    next();
  }

  /**
   * InFlight's word that an observed request ended (its response closed, or its connection):
   * releases its slot, or takes a queued one out of the queue.
   */
  requestEnded(observation: Observation, now: number): void {
    const data = observation.data;
    if (typeof data === 'number') {
      this.#finish(observation.startedAt, data, this.#realClock ? now : this.#options.clock());
    } else if (typeof data === 'object' && data !== null) this.#onClose(data as Ticket);
  }

  /** Counters, limit and signals as they are now. */
  snapshot(): SheddingSnapshot {
    const now = this.#options.clock();
    const stats = this.#stats;
    stats.roll(now);
    return {
      limit: this.#limitAt(now),
      warm: this.#limit.warm,
      inFlight: this.inFlight,
      queued: this.queued,
      overloaded: this.#queue?.overloaded(now) ?? false,
      sheddingForMs: stats.sheddingForMs(now),
      shedRatio: stats.shedRatio(now),
      admitted: stats.admitted,
      rejected: { ...stats.rejected },
      rejectedByPriority: {
        critical: { ...stats.rejectedByPriority.critical },
        default: { ...stats.rejectedByPriority.default },
        sheddable: { ...stats.rejectedByPriority.sheddable },
      },
      abandoned: stats.abandoned,
      baselineLatencyMs: this.#limit.baselineMs,
      backstops: [...this.#backstops.tripped],
      underPressure: this.isUnderPressure(),
      signals: this.#signals.latest,
      lifecycleInFlight: this.lifecycle.inFlight.requests,
    };
  }

  /** How long shedding has gone on without a pause of a second or more, in milliseconds. */
  sheddingForMs(now: number = this.#options.clock()): number {
    return this.#stats.sheddingForMs(now);
  }

  /** Share of non-exempt requests shed over the last one to two seconds, 0–1. */
  shedRatio(now: number = this.#options.clock()): number {
    return this.#stats.shedRatio(now);
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
    this.#turn.dispose();
    if (this.#expiry) clearTimeout(this.#expiry);
    this.#expiry = undefined;
    // Taken out of the queue to be answered at the turn end, which will not come now: admitted too.
    for (const t of this.#lateDrops.splice(0)) if (t.state === 'queued') this.#start(t);
    const queue = this.#queue;
    if (!queue) return;
    const now = this.#options.clock();
    for (let t = queue.shift(now); t; t = queue.shift(now)) this.#start(t);
  }

  /** The limit in force at `now` (read only during slow start): the limit's, capped during slow start. */
  #limitAt(now?: number): number {
    const limit = this.#limit.limit;
    if (this.#slowStart === undefined) return limit;
    return this.#slowStart.cap(
      limit,
      this.#limit.warm ? limit : this.#coldLimit,
      now ?? this.#options.clock(),
    );
  }

  #classify(req: IncomingMessage): Priority {
    const classify = this.#options.classify;
    if (!classify) return 'default';
    const priority = classify(req);
    // An unknown answer is treated as `default`, never as a reason to shed or to bypass the limit.
    return PRIORITIES.has(priority) ? priority : 'default';
  }

  #onTurnEnd(): void {
    if (this.#closed) {
      this.#turn.finish();
      return;
    }
    // The end of the turn: every request the poll phase read is known, so an overloaded queue picks
    // the newest now, with what the turn's budget has left. The turn closes when that is done.
    if (!this.#pump(this.#options.clock(), true)) this.#closeTurn();
  }

  #closeTurn(): void {
    this.#turn.finish();
    if (this.#lateDrops.length > 0) this.#dropAll(this.#lateDrops.splice(0), this.#options.clock());
    if (this.#closed) return;
    // Slots held by requests that finished in this turn are released at the next turn's end; what
    // is still queued for lack of budget (not of slots: a finishing request pumps then) gets the
    // next turn's budget, even if no new event starts that turn.
    if (this.#turn.held > 0 || ((this.#queue?.size ?? 0) > 0 && this.inFlight < this.#limitAt())) {
      this.#turn.scheduleEnd();
    }
  }

  /** Hands `ticket` on at `now`; returns the milliseconds its handler ran synchronously. */
  #start(ticket: Ticket, now: number = this.#options.clock()): number {
    ticket.state = 'running';
    const observation = ticket.observation;
    observation.startedAt = now;
    this.#turn.touch(now);
    // From here on the request is one admitted like any other: InFlight's end finishes it.
    observation.data = this.#turn.busy(now);
    return this.#run(ticket.proceed, now);
  }

  /**
   * Runs an admitted request's handler from `now`, in the turn its caller touched; returns the
   * milliseconds it ran synchronously.
   */
  #run(proceed: () => void, now: number): number {
    const clock = this.#options.clock;
    this.#active++;
    this.#stats.onAdmitted();
    this.#limit.onStart(this.inFlight);
    let ran = 0;
    try {
      proceed();
    } finally {
      // Synchronous handler work (the whole of a CPU-bound handler) counts against the turn budget.
      ran = clock() - now;
      this.#turn.work += ran;
    }
    return ran;
  }

  /** A queued ticket's client left before it was admitted. */
  #onClose(ticket: Ticket): void {
    if (ticket.state !== 'queued') return;
    ticket.state = 'done';
    // Still queued, or taken out to be answered late: either way its client left while waiting.
    this.#queue?.remove(ticket, this.#options.clock());
    this.#stats.abandoned++;
  }

  /** An admitted request that started at `startedAt` after `waitMs` of queueing delay ended at `now`. */
  #finish(startedAt: number, waitMs: number, now: number): void {
    this.#active--;
    if (this.#closed) return;
    this.#turn.held++;
    this.#turn.touch(now);
    this.#stats.onCompleted();
    this.#limit.onSample(now - startedAt, waitMs, now);
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
    const expired = queue.expired(now);
    if (overloaded && (atTurnEnd || this.#turn.endPending)) this.#lateDrops.push(...expired);
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
      this.inFlight < this.#limitAt() &&
      this.#turn.hasBudget(this.#options.turnBudgetMs)
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
    let ticket: Ticket;
    let started: number;
    let synchronous: number;
    for (;;) {
      ticket = this.#queue!.shift(clock())!;
      started = clock();
      synchronous = 0;
      try {
        synchronous = this.#start(ticket);
      } catch (error) {
        // A throwing handler must not strand the rest of the queue; it still surfaces.
        process.nextTick(() => {
          throw error;
        });
      }
      // A response its handler ended synchronously (an Express route answering at once) has no
      // promise callbacks to wait for: the next request may start now, without the hop below.
      if (!ticket.res.writableEnded || !this.#canAdmit()) break;
    }
    queueMicrotask(() =>
      process.nextTick(() => {
        // The microtasks (response writing) belong to the handler's work too.
        this.#turn.work += Math.max(0, clock() - started - synchronous);
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
    this.#reject(
      ticket.req,
      ticket.res,
      ticket.channel,
      ticket.context,
      ticket.proceed,
      reason,
      ticket.priority,
      now,
    );
  }

  #reject(
    req: IncomingMessage,
    res: ServerResponse,
    channel: RejectionChannel | ChannelFactory | undefined,
    context: unknown,
    next: () => void,
    reason: RejectionReason,
    priority: Priority,
    now: number,
  ): void {
    this.#stats.onRejected(reason, priority, now);
    // Thresholds only, no completion is counted to estimate a drain time from: the jittered minimum.
    const drainMs =
      reason === 'stopped' || this.#thresholdsOnly
        ? 0
        : this.#stats.drainMs(this.queued + this.inFlight, now);
    const rejection = makeRejection(
      reason,
      priority,
      retryAfterSeconds(drainMs, this.#options.retryAfter, Math.random()),
      this.#bodies,
    );
    this.#decision.answer(
      rejection,
      req,
      res,
      typeof channel === 'function' ? channel(context, next) : channel,
    );
  }

  #onSignals(readings: SignalReadings): void {
    this.#pressure?.sample();
    this.#backstops.update(readings, this.#pressure?.under);
    this.#limit.onEventLoopDelay(readings.eventLoopDelayMs);
    const now = this.#options.clock();
    this.#stats.roll(now);
    this.#pump(now);
  }

  #flushStopped(): void {
    const now = this.#options.clock();
    this.#dropAll(this.#lateDrops.splice(0), now);
    const queue = this.#queue;
    if (!queue) return;
    for (let t = queue.shift(now); t; t = queue.shift(now)) this.#drop(t, 'stopped', now);
  }
}

/**
 * True when `value` is a LoadShedder, made by this copy of @lbkit/shedding or another one, where
 * `instanceof` fails (adapters accept options or a shedder).
 */
export function isLoadShedder(value: unknown): value is LoadShedder {
  return LOAD_SHEDDER.is(value);
}
