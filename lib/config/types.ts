/**
 * The configuration, in the shape of LiteLLM's `config.yaml` so its users can bring their files:
 * `model_list`, `router_settings`, `general_settings`, plus our own sections `bedrock_settings` and `keys`.
 * Values written `os.environ/NAME` in YAML are read from the environment when the config is loaded.
 */

/** One deployment: a Bedrock model in a region with credentials. Several with one `model_name` form a group. */
export interface ModelDeploymentConfig {
  /** The name clients use in the `{model}` path segment. */
  model_name: string;
  litellm_params: LitellmParams;
  model_info?: ModelInfo;
}

/** LiteLLM's per-deployment parameters; those not listed are accepted and ignored with a warning. */
export interface LitellmParams {
  /** `bedrock/<model id>`; `bedrock/converse/<id>` and `bedrock/invoke/<id>` are accepted too. */
  model: string;
  aws_region_name?: string;
  aws_access_key_id?: string;
  aws_secret_access_key?: string;
  aws_session_token?: string;
  /** Send requests here instead of `https://bedrock-runtime.{region}.amazonaws.com` (a VPC endpoint, an emulator). */
  aws_bedrock_runtime_endpoint?: string;
  /** A Bedrock API key, sent upstream as `Authorization: Bearer`, instead of SigV4 credentials. */
  api_key?: string;
  /** An application inference profile or provisioned-throughput ARN that replaces the model id upstream. */
  model_id?: string;
  /** Requests per minute this deployment may take. */
  rpm?: number;
  /** Tokens per minute this deployment may take. */
  tpm?: number;
  /** Relative share of traffic within the group. */
  weight?: number;
  /** Seconds for the whole upstream call. */
  timeout?: number;
  /** Seconds allowed between two stream frames. */
  stream_timeout?: number;
  [unused: string]: unknown;
}

/** LiteLLM's `model_info`: our id for the deployment and its prices. */
export interface ModelInfo {
  /** A stable id for this deployment, shown in headers and logs. */
  id?: string;
  input_cost_per_token?: number;
  output_cost_per_token?: number;
  cache_read_input_token_cost?: number;
  cache_creation_input_token_cost?: number;
  [unused: string]: unknown;
}

/** LiteLLM's `router_settings`. */
export interface RouterSettings {
  /** LiteLLM's names; `usage-based-routing-v2` and `cost-based-routing` are accepted so LiteLLM files load. */
  routing_strategy?:
    | 'simple-shuffle'
    | 'least-busy'
    | 'latency-based-routing'
    | 'usage-based-routing'
    | 'usage-based-routing-v2'
    | 'cost-based-routing'
    | 'round-robin';
  num_retries?: number;
  allowed_fails?: number;
  /** Seconds. */
  cooldown_time?: number;
  /** Seconds. */
  timeout?: number;
  /** Seconds. */
  stream_timeout?: number;
  fallbacks?: Array<Record<string, string[]>>;
  redis_url?: string;
  redis_host?: string;
  redis_port?: number;
  redis_password?: string;
  /** While Redis is unreachable: `open` (default) keeps serving and counts limits locally; `closed` refuses limited keys. */
  redis_failure_mode?: 'open' | 'closed';
  [unused: string]: unknown;
}

/** LiteLLM's `general_settings`, with our additions. */
export interface GeneralSettings {
  /** The admin key: may call every model and operation. */
  master_key?: string;
  /** A header checked for the key before `Authorization: Bearer` and `x-api-key`. */
  key_header_name?: string;
  /** Serve without any key. Refused at start-up unless set: a gateway with no keys is open to anyone. */
  allow_unauthenticated?: boolean;
  /** Largest accepted request body, in MB (LiteLLM's name). Default 20. */
  max_request_size_mb?: number;
  [unused: string]: unknown;
}

/** Our section: AWS defaults for anything not bound to a deployment, and pass-through rules. */
export interface BedrockSettings {
  aws_region_name?: string;
  aws_access_key_id?: string;
  aws_secret_access_key?: string;
  aws_session_token?: string;
  aws_bedrock_runtime_endpoint?: string;
  /** Send Bedrock Agent Runtime calls here instead of `https://bedrock-agent-runtime.{region}.amazonaws.com`. */
  aws_bedrock_agent_runtime_endpoint?: string;
  /** Let clients name Bedrock model ids that are in no group (served with these settings). Default false. */
  allow_raw_model_ids?: boolean;
  /** More request headers to forward upstream, by name (case-insensitive), besides Bedrock's own. */
  forward_headers?: string[];
}

/** A client key of the gateway. */
export interface KeyConfig {
  /** The secret the client sends (`Authorization: Bearer <key>` or `x-api-key`). Either this or `key_sha256`. */
  key?: string;
  /** The secret's SHA-256 as lowercase hex, so that the config file need not hold the key itself. */
  key_sha256?: string;
  /**
   * With `secret_access_key`: AWS credentials for clients that sign with SigV4 (any region, service `bedrock`)
   * instead of sending a key. A key may have both forms.
   */
  access_key_id?: string;
  /** The secret that goes with `access_key_id`. Verifying a signature needs it in plain: use `os.environ/NAME`. */
  secret_access_key?: string;
  /** A label for logs and records; never the secret. Also the key's id in limits and spend. */
  name: string;
  /** Model groups this key may call. Default: all. */
  models?: string[];
  /** Operations this key may call (`invoke`, `converse`, `retrieve`, `invoke-agent`...: see `OPERATIONS`). Default: all. */
  operations?: string[];
  /** Guardrails this key may apply, by name (of the `guardrails` list) or id. Default: any. */
  guardrails?: string[];
  /** Knowledge bases this key may query, by name (of the `knowledge_bases` list) or id. Default: any. */
  knowledge_bases?: string[];
  /** Agents this key may invoke, by name (of the `agents` list) or id. Default: any. */
  agents?: string[];
  /** Requests per minute, across every instance sharing the store. */
  rpm?: number;
  /** Tokens per minute (input, output and prompt cache), counted from the answers. */
  tpm?: number;
  /** Requests in flight at once. */
  max_parallel_requests?: number;
  /** USD the key may spend per `budget_duration` (or in all, without one). */
  max_budget?: number;
  /** The budget's period: `30s`, `15m`, `12h`, `1d`, `7d`, `30d`... Without it the budget never resets. */
  budget_duration?: string;
  /** When the key stops working: an ISO 8601 date and time (`2026-12-31T23:59:59Z`). */
  expires?: string;
  /** A key that is refused without being deleted. */
  disabled?: boolean;
  /** Anything to carry into records and logs (team, user...). */
  metadata?: Record<string, unknown>;
}

/** A guardrail clients may name by `name` (ApplyGuardrail's `{guardrailIdentifier}`). */
export interface GuardrailConfig {
  name: string;
  /** The guardrail id (or ARN) sent upstream. */
  id: string;
  /** The version sent upstream whatever the client's path says (`DRAFT`, `1`...). Default: the client's. */
  version?: string;
}

/** A knowledge base clients may name by `name` (Retrieve's path, RetrieveAndGenerate's `knowledgeBaseId`). */
export interface KnowledgeBaseConfig {
  name: string;
  /** The knowledge base id sent upstream. */
  id: string;
}

/** An agent clients may name by `name` (InvokeAgent's `{agentId}`). */
export interface AgentConfig {
  name: string;
  /** The agent id sent upstream. */
  id: string;
  /** The agent alias id sent upstream whatever the client's path says. Default: the client's. */
  alias_id?: string;
}

/** The whole configuration file. */
export interface GatewayConfig {
  model_list: ModelDeploymentConfig[];
  router_settings?: RouterSettings;
  general_settings?: GeneralSettings;
  bedrock_settings?: BedrockSettings;
  keys?: KeyConfig[];
  guardrails?: GuardrailConfig[];
  knowledge_bases?: KnowledgeBaseConfig[];
  agents?: AgentConfig[];
  /** Accepted for LiteLLM compatibility; not used. */
  litellm_settings?: Record<string, unknown>;
  /** Accepted for LiteLLM compatibility; not used. */
  environment_variables?: Record<string, unknown>;
}
