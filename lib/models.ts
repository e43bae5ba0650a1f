/**
 * The model catalog: the deployments of `model_list`, grouped by `model_name`, and how a client's `{model}`
 * path segment resolves to one group.
 */
import { createHash } from 'node:crypto';
import { cachedCredentials, environmentCredentials, staticCredentials } from './credentials';
import { deploymentRegion } from './config/regions';
import type { BedrockSettings, GatewayConfig, LitellmParams, ModelDeploymentConfig, ModelInfo } from './config/types';
import { echoed, GatewayError } from './errors';
import type { UpstreamService } from './routes';
import type { CredentialsProvider, Deployment } from './types';

/** How the gateway authenticates to Bedrock for one deployment. */
export type UpstreamAuth =
  | { readonly kind: 'sigv4'; readonly credentials: CredentialsProvider }
  | { readonly kind: 'bearer'; readonly apiKey: string };

/** A deployment with what it takes to call it. Holds secrets: never log or expose it whole. */
export interface DeploymentTarget extends Deployment {
  /** `https://bedrock-runtime.us-east-1.amazonaws.com`, or the configured endpoint's origin. */
  readonly origin: string;
  /** The `Host` header for this origin. */
  readonly host: string;
  /** A path prefix of a configured endpoint, without trailing slash; usually empty. */
  readonly basePath: string;
  readonly auth: UpstreamAuth;
  /** The Bedrock model id written in `litellm_params.model`, which clients may also use to name the group. */
  readonly bedrockModelId: string;
  /** Its `model_info` (price overrides). */
  readonly modelInfo?: ModelInfo | undefined;
  /** This deployment's own `timeout` and `stream_timeout`, in milliseconds, when set. */
  readonly timeoutMs?: number | undefined;
  readonly streamTimeoutMs?: number | undefined;
}

/** The deployments a `{model}` segment resolved to. */
export interface ModelGroup {
  readonly modelName: string;
  readonly deployments: readonly DeploymentTarget[];
}

/** What the catalog needs besides the config. */
export interface CatalogOptions {
  /** Credentials for deployments (and raw model ids) that set none. */
  readonly credentials?: CredentialsProvider | undefined;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const RAW_MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,2047}$/;
const RAW_GROUP_CACHE_SIZE = 1024;

/** `bedrock/<id>`, `bedrock/converse/<id>`, `bedrock/invoke/<id>` → `<id>`. */
export function bedrockModelIdOf(model: string): string {
  return model.replace(/^bedrock\/(?:converse\/|invoke\/)?/, '');
}

export class ModelCatalog {
  private readonly groupsByName = new Map<string, ModelGroup>();
  private readonly groupsByDeploymentId = new Map<string, ModelGroup>();
  private readonly groupsByBedrockId = new Map<string, ModelGroup>();
  private readonly rawGroups = new Map<string, ModelGroup>();
  private readonly serviceDeployments = new Map<UpstreamService, DeploymentTarget>();
  private readonly defaults: BedrockSettings;
  private readonly allowRawModelIds: boolean;
  private readonly fallbackCredentials: CredentialsProvider;
  private readonly env: Readonly<Record<string, string | undefined>>;

  constructor(config: GatewayConfig, options: CatalogOptions = {}) {
    this.env = options.env ?? process.env;
    this.defaults = config.bedrock_settings ?? {};
    this.allowRawModelIds = this.defaults.allow_raw_model_ids === true;
    this.fallbackCredentials = options.credentials
      ? cachedCredentials(options.credentials)
      : environmentCredentials(this.env as NodeJS.ProcessEnv);

    const byName = new Map<string, DeploymentTarget[]>();
    config.model_list.forEach((entry, position) => {
      const deployment = this.buildDeployment(entry, position);
      const list = byName.get(entry.model_name) ?? [];
      list.push(deployment);
      byName.set(entry.model_name, list);
    });
    for (const [modelName, deployments] of byName) {
      const group = { modelName, deployments };
      this.groupsByName.set(modelName, group);
      for (const deployment of deployments) {
        this.groupsByDeploymentId.set(deployment.id, { modelName, deployments: [deployment] });
        for (const id of [deployment.bedrockModelId, deployment.modelId]) {
          if (!this.groupsByBedrockId.has(id)) this.groupsByBedrockId.set(id, group);
        }
      }
    }
  }

  /** The group of a `model_name`, if there is one (for fallbacks, which name groups). */
  group(modelName: string): ModelGroup | undefined {
    return this.groupsByName.get(modelName);
  }

  /** Every group, in config order. */
  get groups(): readonly ModelGroup[] {
    return [...this.groupsByName.values()];
  }

  /**
   * Resolves a decoded `{model}` segment: a `model_name`; else a deployment's id; else a group whose
   * deployments serve that Bedrock model id; else, when allowed, the raw model id with `bedrock_settings`.
   */
  resolve(model: string): ModelGroup {
    const group = this.groupsByName.get(model) ?? this.groupsByDeploymentId.get(model) ?? this.groupsByBedrockId.get(model);
    if (group) return group;
    if (this.allowRawModelIds && RAW_MODEL_ID.test(model) && !model.split('/').includes('..')) return this.rawGroup(model);
    throw new GatewayError('ValidationException', `The provided model identifier is invalid: '${echoed(model)}' is not a model of this gateway.`);
  }

  /**
   * A group of one deployment for calls bound to no model deployment (guardrails, agents, knowledge bases, async
   * invoke listing): `bedrock_settings`' region, credentials and endpoint for `service`, under `name` in records.
   */
  serviceGroup(service: UpstreamService, name: string): ModelGroup {
    let deployment = this.serviceDeployments.get(service);
    if (!deployment) {
      const region = deploymentRegion({ model: `bedrock/${service}` }, this.defaults, this.env);
      if (!region) {
        throw new GatewayError(
          'InternalServerException',
          `The gateway has no region for ${service} calls: set bedrock_settings.aws_region_name (or AWS_REGION in its environment).`,
        );
      }
      const entry = { model_name: service, litellm_params: { model: `bedrock/${service}` }, model_info: { id: `${service}.${region}` } };
      deployment = this.buildDeployment(entry, -1, service);
      this.serviceDeployments.set(service, deployment);
    }
    return { modelName: name, deployments: [deployment] };
  }

  private rawGroup(modelId: string): ModelGroup {
    let group = this.rawGroups.get(modelId);
    if (!group) {
      if (this.rawGroups.size >= RAW_GROUP_CACHE_SIZE) this.rawGroups.clear();
      const deployment = this.buildDeployment({ model_name: modelId, litellm_params: { model: `bedrock/${modelId}` } }, -1);
      group = { modelName: modelId, deployments: [deployment] };
      this.rawGroups.set(modelId, group);
    }
    return group;
  }

  private buildDeployment(entry: ModelDeploymentConfig, position: number, service: UpstreamService = 'bedrock-runtime'): DeploymentTarget {
    const params = entry.litellm_params;
    const bedrockModelId = bedrockModelIdOf(params.model);
    const modelId = params.model_id || bedrockModelId;
    const region = deploymentRegion(params, this.defaults, this.env);
    if (!region) throw new GatewayError('InternalServerException', `No region for model '${entry.model_name}'`);
    const configured =
      service === 'bedrock-runtime'
        ? params.aws_bedrock_runtime_endpoint || this.defaults.aws_bedrock_runtime_endpoint
        : this.defaults.aws_bedrock_agent_runtime_endpoint;
    const endpoint = new URL(configured || `https://${service}.${region}.amazonaws.com`);
    const id = entry.model_info?.id ?? derivedDeploymentId(modelId, region, position);
    return {
      id,
      modelName: entry.model_name,
      modelId,
      bedrockModelId,
      region,
      // Origin and path only: user info or a query in a configured URL must not reach reports and headers.
      endpoint: `${endpoint.origin}${endpoint.pathname.replace(/\/+$/, '')}`,
      origin: endpoint.origin,
      host: endpoint.host,
      basePath: endpoint.pathname.replace(/\/+$/, ''),
      weight: params.weight ?? params.rpm ?? params.tpm ?? 1,
      rpm: params.rpm,
      tpm: params.tpm,
      modelInfo: entry.model_info,
      timeoutMs: params.timeout === undefined ? undefined : params.timeout * 1000,
      streamTimeoutMs: params.stream_timeout === undefined ? undefined : params.stream_timeout * 1000,
      auth: this.upstreamAuth(params),
    };
  }

  /** A deployment's own credentials, else `bedrock_settings`', else the host's provider or the environment. */
  private upstreamAuth(params: LitellmParams): UpstreamAuth {
    if (params.api_key) return { kind: 'bearer', apiKey: params.api_key };
    for (const source of [params, this.defaults]) {
      if (source.aws_access_key_id && source.aws_secret_access_key) {
        return {
          kind: 'sigv4',
          credentials: staticCredentials({
            accessKeyId: source.aws_access_key_id,
            secretAccessKey: source.aws_secret_access_key,
            sessionToken: source.aws_session_token || undefined,
          }),
        };
      }
    }
    return { kind: 'sigv4', credentials: this.fallbackCredentials };
  }
}

/** Stable across restarts for the same config, and reveals nothing (ARNs hold account ids). */
function derivedDeploymentId(modelId: string, region: string, position: number): string {
  return `d-${createHash('sha256').update(`${modelId}|${region}|${position}`).digest('hex').slice(0, 12)}`;
}
