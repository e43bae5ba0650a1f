/** The router's record of each deployment's recent traffic, read by the built-in balancers. */
import type { DeploymentStats, MinuteUsage } from '../balancer/stats';

/** Weight of the newest sample in the moving average: recent enough to follow a change within a few requests. */
const SMOOTHING = 0.3;
const MINUTE_MS = 60_000;

interface Usage {
  minute: number;
  requests: number;
  tokens: number;
}

const NO_USAGE: MinuteUsage = Object.freeze({ requests: 0, tokens: 0 });

export class RouterStats implements DeploymentStats {
  private readonly active = new Map<string, number>();
  private readonly plainLatency = new Map<string, number>();
  private readonly streamLatency = new Map<string, number>();
  private readonly usage = new Map<string, Usage>();

  constructor(private readonly now: () => number = Date.now) {}

  inFlight(deploymentId: string): number {
    return this.active.get(deploymentId) ?? 0;
  }

  latencyMs(deploymentId: string, streaming: boolean): number | undefined {
    return (streaming ? this.streamLatency : this.plainLatency).get(deploymentId);
  }

  usageThisMinute(deploymentId: string): MinuteUsage {
    const usage = this.usage.get(deploymentId);
    return usage && usage.minute === this.minute() ? usage : NO_USAGE;
  }

  /**
   * Forgets the latency and usage of every deployment but these (those a reloaded configuration dropped). Requests in
   * flight stay counted until they finish.
   */
  keepOnly(deploymentIds: ReadonlySet<string>): void {
    for (const known of [this.plainLatency, this.streamLatency, this.usage]) {
      for (const id of known.keys()) if (!deploymentIds.has(id)) known.delete(id);
    }
  }

  /** A request is being sent: it counts towards the minute's requests and the deployment's in-flight ones. */
  started(deploymentId: string): void {
    this.active.set(deploymentId, this.inFlight(deploymentId) + 1);
    this.currentUsage(deploymentId).requests += 1;
  }

  /** The request is over, however it went. */
  finished(deploymentId: string): void {
    const count = this.inFlight(deploymentId) - 1;
    if (count > 0) this.active.set(deploymentId, count);
    else this.active.delete(deploymentId);
  }

  /** A latency sample: the whole answer for a plain call, the first byte for a stream. */
  observeLatency(deploymentId: string, streaming: boolean, latencyMs: number): void {
    const averages = streaming ? this.streamLatency : this.plainLatency;
    const previous = averages.get(deploymentId);
    averages.set(deploymentId, previous === undefined ? latencyMs : previous + SMOOTHING * (latencyMs - previous));
  }

  /**
   * Takes in the minute's usage every instance together reported for a deployment (this one's included): the view
   * becomes the larger of the shared and the local counts, as the shared ones lag by up to a refresh.
   */
  learnUsage(deploymentId: string, minute: number, requests: number, tokens: number): void {
    if (minute !== this.minute()) return;
    const usage = this.currentUsage(deploymentId);
    usage.requests = Math.max(usage.requests, requests);
    usage.tokens = Math.max(usage.tokens, tokens);
  }

  /** Tokens a deployment served, counted in the current minute. */
  addTokens(deploymentId: string, tokens: number): void {
    this.currentUsage(deploymentId).tokens += tokens;
  }

  private minute(): number {
    return Math.floor(this.now() / MINUTE_MS);
  }

  private currentUsage(deploymentId: string): Usage {
    const minute = this.minute();
    let usage = this.usage.get(deploymentId);
    if (!usage || usage.minute !== minute) {
      usage = { minute, requests: 0, tokens: 0 };
      this.usage.set(deploymentId, usage);
    }
    return usage;
  }
}
