/**
 * What the gateway knows about each deployment's recent traffic, kept by the router and read by the built-in
 * balancers. Reads are synchronous and cheap: a balancer runs on every request.
 */

/** Requests and tokens a deployment served in the current minute. */
export interface MinuteUsage {
  readonly requests: number;
  readonly tokens: number;
}

export interface DeploymentStats {
  /** Requests sent to the deployment and not finished yet. */
  inFlight(deploymentId: string): number;
  /**
   * Recent latency in milliseconds (a moving average): time to the whole answer for plain calls, time to first
   * byte for streams. Undefined while the deployment has no sample.
   */
  latencyMs(deploymentId: string, streaming: boolean): number | undefined;
  /** Usage in the current one-minute window. */
  usageThisMinute(deploymentId: string): MinuteUsage;
}
