/**
 * Which deployment started each async invocation, so that GetAsyncInvoke asks the region and account that hold the
 * job: StartAsyncInvoke follows the model's deployments, which may span regions and accounts.
 *
 * Kept in the shared store (every instance finds jobs the others started) for as long as Bedrock lists a job.
 */
import type { DeploymentTarget, ModelCatalog } from '../models';
import type { Logger } from '../types';
import type { Store } from '../state/store';

const PREFIX = 'async-invoke:';
/** Bedrock keeps async invocations in its listing for weeks; a month covers every job worth polling. */
const REMEMBERED_FOR_MS = 31 * 24 * 3_600_000;

export class AsyncInvokeDirectory {
  constructor(
    private readonly store: Store,
    private readonly catalog: ModelCatalog,
    private readonly logger: Logger,
  ) {}

  /** Notes the deployment that answered a StartAsyncInvoke with `answer` (`{"invocationArn": ...}`). */
  async remember(answer: Buffer, deployment: DeploymentTarget): Promise<void> {
    const arn = invocationArnOf(answer);
    if (!arn) return;
    try {
      await this.store.set(this.key(arn, deployment.id), 1, REMEMBERED_FOR_MS);
    } catch (error) {
      // The job started: only finding it again later suffers (GetAsyncInvoke then asks bedrock_settings' region).
      this.logger.warn({ deployment: deployment.id, error: String(error) }, 'could not remember which deployment started an async invocation');
    }
  }

  /** The deployment that started the job, when this gateway (any instance sharing the store) started it. */
  async deploymentOf(invocationArn: string): Promise<DeploymentTarget | undefined> {
    const deployments = this.catalog.groups.flatMap((group) => group.deployments);
    const marks = await this.store.getMany(deployments.map((deployment) => this.key(invocationArn, deployment.id)));
    const index = marks.findIndex((mark) => mark !== undefined);
    return index === -1 ? undefined : deployments[index];
  }

  private key(invocationArn: string, deploymentId: string): string {
    return `${PREFIX}${invocationArn}@${deploymentId}`;
  }
}

function invocationArnOf(answer: Buffer): string | undefined {
  try {
    const arn: unknown = (JSON.parse(answer.toString('utf8')) as { invocationArn?: unknown }).invocationArn;
    return typeof arn === 'string' && arn !== '' ? arn : undefined;
  } catch {
    return undefined;
  }
}
