/**
 * One upstream HTTP exchange on undici's dispatcher API: the answer's head as a promise, its body pushed to whoever
 * consumes it, pausing and aborting by plain calls.
 *
 * Why not `undici.request()`: it wraps every answer in a Readable stream and every abort in an AbortSignal listener,
 * which the gateway does not need (it either collects a short body or relays frames as they come) and which cost a
 * measurable share of a request's CPU time.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { util, type Dispatcher } from 'undici';

/** The status and headers of an answer. */
export interface ExchangeHead {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
}

/** What consumes an answer's body. */
export interface BodySink {
  /** A chunk of the body; return false to pause the exchange until {@link UpstreamExchange.resume}. */
  data(chunk: Buffer): boolean;
  /** The body ended. */
  end(): void;
  /** The exchange failed after its head (reset, abort, timeout). */
  error(error: Error): void;
}

type BodyEvent = { readonly chunk: Buffer } | { readonly end: true } | { readonly error: Error };

export class UpstreamExchange implements Dispatcher.DispatchHandler {
  /** Resolves with the head; rejects when the exchange fails before it (connection refused, abort, timeout). */
  readonly head: Promise<ExchangeHead>;
  private resolveHead!: (head: ExchangeHead) => void;
  private rejectHead!: (error: Error) => void;
  private headSeen = false;
  private sink: BodySink | undefined;
  /** What arrived before a sink was attached (the head's promise resolves a turn after the first chunks). */
  private readonly waiting: BodyEvent[] = [];
  private settled = false;
  private paused = false;
  private abortUpstream: ((reason: Error) => void) | undefined;
  private resumeUpstream: (() => void) | undefined;
  private abortedWith: Error | undefined;
  private written = false;

  constructor() {
    this.head = new Promise<ExchangeHead>((resolve, reject) => {
      this.resolveHead = resolve;
      this.rejectHead = reject;
    });
    // Whoever aborts before the head may never await it: its rejection is not an unhandled one.
    this.head.catch(() => undefined);
  }

  /** Sends the request, unless the exchange was aborted already. */
  start(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions): void {
    if (this.abortedWith) this.rejectHead(this.abortedWith);
    else dispatcher.dispatch(options, this);
  }

  /**
   * Whether the request went out on a connection (undici hands it over just before writing it). A request that failed
   * without — refused, unresolved, an untrusted certificate, a handshake that timed out — surely did not reach Bedrock.
   */
  get requestWritten(): boolean {
    return this.written;
  }

  /** Hands the body to `sink`, starting with what arrived before; replaces the sink before it. */
  attach(sink: BodySink): void {
    this.sink = sink;
    while (this.waiting.length > 0 && this.sink === sink) this.deliver(this.waiting.shift() as BodyEvent);
  }

  /** Stops delivering the body: later chunks wait for the next {@link attach}. */
  detach(): void {
    this.sink = undefined;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.resumeUpstream?.();
  }

  /**
   * Ends the exchange: the connection is dropped if the answer is still coming, and a head not yet received fails
   * now. Only the first reason counts.
   */
  abort(reason: Error): void {
    if (this.abortedWith || this.settled) return;
    this.abortedWith = reason;
    if (this.abortUpstream) this.abortUpstream(reason);
    // Still waiting for a connection (TCP or TLS handshake, or a free socket): undici cannot withdraw the request
    // until it is about to be written (then onConnect aborts it) or the connect timeout passes. Whoever awaits the
    // head (a timeout, a client that left) must not wait that long.
    else this.rejectHead(reason);
  }

  onConnect(abort: (reason?: Error) => void): void {
    this.written = true;
    this.abortUpstream = abort;
    if (this.abortedWith) abort(this.abortedWith);
  }

  onHeaders(status: number, rawHeaders: Buffer[], resume: () => void): boolean {
    this.resumeUpstream = resume;
    this.headSeen = true;
    this.resolveHead({ status, headers: util.parseHeaders(rawHeaders) as IncomingHttpHeaders });
    return !this.paused;
  }

  onData(chunk: Buffer): boolean {
    // Straight to the sink when there is one (every chunk of a stream): no event object per chunk.
    const sink = this.sink;
    if (!sink) this.waiting.push({ chunk });
    else if (!sink.data(chunk)) this.paused = true;
    return !this.paused;
  }

  onComplete(): void {
    this.settled = true;
    this.deliver({ end: true });
  }

  onError(error: Error): void {
    this.settled = true;
    if (!this.headSeen) this.rejectHead(error);
    else this.deliver({ error });
  }

  private deliver(event: BodyEvent): void {
    const sink = this.sink;
    if (!sink) {
      this.waiting.push(event);
      return;
    }
    if ('chunk' in event) {
      if (!sink.data(event.chunk)) this.paused = true;
    } else if ('end' in event) {
      sink.end();
    } else {
      sink.error(event.error);
    }
  }
}
