/**
 * What a valid configuration is: one JSON schema for its shape (checked by ajv), and the rules a schema cannot say
 * well (cross-references, uniqueness, a region found in one of several places).
 */
import { createHash } from 'node:crypto';
import { Ajv, type DefinedError, type ErrorObject, type SchemaObject, type ValidateFunction } from 'ajv';
import { OPERATIONS } from '../operations';
import type { PathSegment, Problem } from './problems';
import { deploymentRegion } from './regions';
import type {
  AgentConfig,
  BedrockSettings,
  GatewayConfig,
  GeneralSettings,
  GuardrailConfig,
  KeyConfig,
  KnowledgeBaseConfig,
  LitellmParams,
  ModelDeploymentConfig,
  ModelInfo,
  RouterSettings,
} from './types';

/**
 * Schema annotation marking LiteLLM's sections: a key we do not know there is LiteLLM's (or another tool's) and is
 * ignored with a warning, so LiteLLM users can bring their files. In our own sections an unknown key is refused:
 * a typo in a key list must not silently weaken security.
 */
export const UNKNOWN_KEYS_IGNORED = 'x-unknown-keys-ignored';

/** The fields an interface declares, without its `[unused: string]: unknown` index signature. */
type DeclaredKey<T> = keyof { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] } & string;
type RequiredKey<T> = { [K in DeclaredKey<T>]-?: undefined extends T[K] ? never : K }[DeclaredKey<T>];

/**
 * An object schema whose properties are exactly the fields `T` declares in `types.ts`: the compiler refuses a
 * missing or extra property, which keeps the schema and the types from drifting apart.
 */
function objectSchema<T>(
  properties: { [K in DeclaredKey<T>]-?: SchemaObject },
  required: ReadonlyArray<RequiredKey<T>>,
  unknownKeys: 'ignored' | 'refused',
): SchemaObject {
  return {
    type: 'object',
    properties,
    required: [...required],
    additionalProperties: false,
    ...(unknownKeys === 'ignored' ? { [UNKNOWN_KEYS_IGNORED]: true } : {}),
  };
}

const text: SchemaObject = { type: 'string', minLength: 1 };
const texts: SchemaObject = { type: 'array', items: text };
const flag: SchemaObject = { type: 'boolean' };
const count: SchemaObject = { type: 'integer', minimum: 0 };
const amount: SchemaObject = { type: 'number', minimum: 0 };
const positive: SchemaObject = { type: 'number', exclusiveMinimum: 0 };
/** A LiteLLM-only section: accepted so that shared files load, every key in it ignored with a warning. */
const litellmOnlySection: SchemaObject = { type: 'object', additionalProperties: false, [UNKNOWN_KEYS_IGNORED]: true };

/** AWS credentials come as a pair (plus an optional session token): one without the other is a mistake. */
const CREDENTIAL_PAIRS = {
  aws_access_key_id: ['aws_secret_access_key'],
  aws_secret_access_key: ['aws_access_key_id'],
  aws_session_token: ['aws_access_key_id', 'aws_secret_access_key'],
};

type RoutingStrategy = NonNullable<RouterSettings['routing_strategy']>;
/** A record rather than a list so that the compiler checks it names every strategy of the type, and no other. */
const ROUTING_STRATEGIES: Record<RoutingStrategy, true> = {
  'simple-shuffle': true,
  'least-busy': true,
  'latency-based-routing': true,
  'usage-based-routing': true,
  'round-robin': true,
  'usage-based-routing-v2': true,
  'cost-based-routing': true,
};

const litellmParams = {
  ...objectSchema<LitellmParams>(
    {
      model: text,
      aws_region_name: text,
      aws_access_key_id: text,
      aws_secret_access_key: text,
      aws_session_token: text,
      aws_bedrock_runtime_endpoint: text,
      api_key: text,
      model_id: text,
      rpm: count,
      tpm: count,
      weight: amount,
      timeout: positive,
      stream_timeout: positive,
    },
    ['model'],
    'ignored',
  ),
  dependencies: CREDENTIAL_PAIRS,
};

const modelInfo = objectSchema<ModelInfo>(
  {
    id: text,
    input_cost_per_token: amount,
    output_cost_per_token: amount,
    cache_read_input_token_cost: amount,
    cache_creation_input_token_cost: amount,
  },
  [],
  'ignored',
);

const deployment = objectSchema<ModelDeploymentConfig>(
  { model_name: text, litellm_params: litellmParams, model_info: modelInfo },
  ['model_name', 'litellm_params'],
  'ignored',
);

const routerSettings = objectSchema<RouterSettings>(
  {
    routing_strategy: { type: 'string', enum: Object.keys(ROUTING_STRATEGIES) },
    num_retries: count,
    allowed_fails: count,
    cooldown_time: amount,
    timeout: positive,
    stream_timeout: positive,
    fallbacks: { type: 'array', items: { type: 'object', additionalProperties: texts } },
    redis_url: text,
    redis_host: text,
    redis_port: { type: 'integer', minimum: 1, maximum: 65535 },
    redis_password: text,
    redis_failure_mode: { type: 'string', enum: ['open', 'closed'] },
  },
  [],
  'ignored',
);

const generalSettings = objectSchema<GeneralSettings>(
  {
    master_key: text,
    key_header_name: text,
    allow_unauthenticated: flag,
    max_request_size_mb: positive,
  },
  [],
  'ignored',
);

const bedrockSettings = {
  ...objectSchema<BedrockSettings>(
    {
      aws_region_name: text,
      aws_access_key_id: text,
      aws_secret_access_key: text,
      aws_session_token: text,
      aws_bedrock_runtime_endpoint: text,
      aws_bedrock_agent_runtime_endpoint: text,
      allow_raw_model_ids: flag,
      forward_headers: texts,
    },
    [],
    'refused',
  ),
  dependencies: CREDENTIAL_PAIRS,
};

/** `30s`, `15m`, `12h`, `7d`: LiteLLM's way of writing a budget period. */
export const DURATION_PATTERN = '^[1-9][0-9]*[smhd]$';

const key = objectSchema<KeyConfig>(
  {
    key: text,
    key_sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' },
    // What may stand in a SigV4 credential scope: no `/`, `,` or `=`.
    access_key_id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' },
    secret_access_key: text,
    name: text,
    models: texts,
    operations: { type: 'array', items: { type: 'string', enum: [...OPERATIONS] } },
    guardrails: texts,
    knowledge_bases: texts,
    agents: texts,
    rpm: count,
    tpm: count,
    max_parallel_requests: count,
    max_budget: amount,
    budget_duration: { type: 'string', pattern: DURATION_PATTERN },
    expires: text,
    disabled: flag,
    metadata: { type: 'object' },
  },
  ['name'],
  'refused',
);
const keyWithCredentialPairs = { ...key, dependencies: { access_key_id: ['secret_access_key'], secret_access_key: ['access_key_id'] } };

/** A named resource: clients use the name, upstream gets the id. */
const guardrail = objectSchema<GuardrailConfig>({ name: text, id: text, version: text }, ['name', 'id'], 'refused');
const knowledgeBase = objectSchema<KnowledgeBaseConfig>({ name: text, id: text }, ['name', 'id'], 'refused');
const agent = objectSchema<AgentConfig>({ name: text, id: text, alias_id: text }, ['name', 'id'], 'refused');

/**
 * The JSON schema of `config.yaml` (draft-07), matching {@link GatewayConfig}. Objects forbid unknown keys; those
 * marked {@link UNKNOWN_KEYS_IGNORED} are LiteLLM's, where the loader turns an unknown key into a warning.
 */
export const configSchema: SchemaObject = objectSchema<GatewayConfig>(
  {
    model_list: { type: 'array', items: deployment },
    router_settings: routerSettings,
    general_settings: generalSettings,
    bedrock_settings: bedrockSettings,
    keys: { type: 'array', items: keyWithCredentialPairs },
    guardrails: { type: 'array', items: guardrail },
    knowledge_bases: { type: 'array', items: knowledgeBase },
    agents: { type: 'array', items: agent },
    litellm_settings: litellmOnlySection,
    environment_variables: litellmOnlySection,
  },
  ['model_list'],
  'ignored',
);

/** What the schema found: problems, and the unknown keys of LiteLLM's sections, to drop with a warning. */
export interface ShapeReport {
  problems: Problem[];
  ignoredKeys: PathSegment[][];
}

let validator: ValidateFunction | undefined;

/** Compiled on first use, so that importing the library costs nothing until a configuration is loaded. */
function validateShape(): ValidateFunction {
  if (!validator) {
    // coerceTypes: numbers and booleans read from environment variables arrive as strings.
    // verbose: errors carry their schema, where the unknown-keys annotation is read.
    const ajv = new Ajv({ allErrors: true, coerceTypes: true, verbose: true });
    ajv.addKeyword(UNKNOWN_KEYS_IGNORED);
    validator = ajv.compile(configSchema);
  }
  return validator;
}

/**
 * Checks `config` against {@link configSchema}. Coerces values in place (`"60"` to `60` where a number is
 * expected), so `config` must be the caller's own copy.
 */
export function checkShape(config: Record<string, unknown>): ShapeReport {
  const validate = validateShape();
  const report: ShapeReport = { problems: [], ignoredKeys: [] };
  if (validate(config)) return report;
  for (const error of (validate.errors ?? []) as DefinedError[]) {
    if (error.keyword === 'additionalProperties' && isIgnoredSection(error)) {
      report.ignoredKeys.push([...instancePath(error), error.params.additionalProperty]);
    } else {
      report.problems.push(describeError(error));
    }
  }
  return report;
}

function isIgnoredSection(error: ErrorObject): boolean {
  return (error.parentSchema as SchemaObject | undefined)?.[UNKNOWN_KEYS_IGNORED] === true;
}

/** `/model_list/0/litellm_params` as path segments (JSON pointer escapes undone). */
function instancePath(error: ErrorObject): PathSegment[] {
  if (error.instancePath === '') return [];
  return error.instancePath
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
};

/** What each pattern of the schema asks for, in words. */
const PATTERN_MEANINGS: Readonly<Record<string, string>> = {
  [DURATION_PATTERN]: 'must be a duration such as 30s, 15m, 12h or 7d',
  '^[0-9a-fA-F]{64}$': 'must be a SHA-256 in hex (64 characters)',
};

/** Turns an ajv error into a problem in words a YAML author reads, at the path of the key concerned. */
function describeError(error: DefinedError): Problem {
  const path = instancePath(error);
  switch (error.keyword) {
    case 'required':
      return { path: [...path, error.params.missingProperty], message: 'required' };
    case 'dependencies':
      return {
        path: [...path, error.params.missingProperty],
        message: `required when ${error.params.property} is set`,
      };
    case 'additionalProperties': {
      const known = Object.keys((error.parentSchema as SchemaObject | undefined)?.['properties'] ?? {});
      return { path: [...path, error.params.additionalProperty], message: `unknown key (known: ${known.join(', ')})` };
    }
    case 'enum':
      return { path, message: `must be one of ${error.params.allowedValues.join(', ')}` };
    case 'type':
      return { path, message: `must be ${TYPE_NAMES[String(error.params.type)] ?? String(error.params.type)}` };
    case 'minLength': // Only ever 1 here.
      return { path, message: 'must not be empty' };
    case 'pattern':
      return { path, message: PATTERN_MEANINGS[error.params.pattern] ?? `must match ${error.params.pattern}` };
    default:
      return { path, message: error.message ?? error.keyword };
  }
}

/** How the rules name a place in the file (deployments of other providers were taken out, shifting indexes). */
export type PathLabel = (path: readonly PathSegment[]) => string;

/** What the rules read besides the configuration. */
export interface RuleContext {
  /** For the region fallbacks `AWS_REGION`, `AWS_DEFAULT_REGION` and `AWS_REGION_NAME`. */
  env: Readonly<Record<string, string | undefined>>;
  /** The host authenticates callers itself, so the configuration needs no client key. */
  externalAuth: boolean;
  label: PathLabel;
}

/**
 * The rules beyond the schema. They run even where the schema found problems, so that every problem is reported
 * at once; hence they read the configuration defensively, skipping values of the wrong type (already reported).
 */
export function checkRules(config: Record<string, unknown>, context: RuleContext): Problem[] {
  return [
    ...deploymentListProblems(config),
    ...deploymentProblems(config, context),
    ...deploymentIdProblems(config, context.label),
    ...bedrockSettingsProblems(config),
    ...keyProblems(config, context.label),
    ...resourceNameProblems(config, context.label),
    ...(context.externalAuth ? [] : authenticationProblems(config)),
  ];
}

/** A YAML mapping (plain object), or undefined for anything else. */
export function asMapping(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null ? (value as Record<string, unknown>) : undefined;
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function asText(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function deploymentListProblems(config: Record<string, unknown>): Problem[] {
  if (!Array.isArray(config['model_list']) || config['model_list'].length > 0) return [];
  return [
    {
      path: ['model_list'],
      message:
        'no Bedrock deployment (one with litellm_params.model: bedrock/<model id>); deployments of other providers are ignored',
    },
  ];
}

/** `bedrock/<id>`, `bedrock/converse/<id>`, `bedrock/invoke/<id>`; an id holds no `/` unless it is an ARN. */
const BEDROCK_MODEL = /^bedrock\/(?:(?:converse|invoke)\/)?(?:arn:\S+|[^/\s]+)$/;

const AWS_KEYS = ['aws_access_key_id', 'aws_secret_access_key', 'aws_session_token'] as const;

function deploymentProblems(config: Record<string, unknown>, { env }: RuleContext): Problem[] {
  const defaults = asMapping(config['bedrock_settings']);
  return asList(config['model_list']).flatMap((entry, i) => {
    const params = asMapping(asMapping(entry)?.['litellm_params']);
    const model = asText(params?.['model']);
    if (!params || !model) return [];
    const path: PathSegment[] = ['model_list', i, 'litellm_params'];
    return [
      ...modelProblems(model, path),
      ...regionProblems(params, model, defaults, env, path),
      ...apiKeyProblems(params, path),
      ...endpointProblems(params, path),
    ];
  });
}

function modelProblems(model: string, path: PathSegment[]): Problem[] {
  if (BEDROCK_MODEL.test(model)) return [];
  const forms = 'bedrock/<model id>, bedrock/converse/<model id> or bedrock/invoke/<model id>';
  return [{ path: [...path, 'model'], message: `must be ${forms} (got ${JSON.stringify(model)})` }];
}

/** The same search for a region as the gateway makes when it calls the deployment ({@link deploymentRegion}). */
function regionProblems(
  params: Record<string, unknown>,
  model: string,
  defaults: Record<string, unknown> | undefined,
  env: RuleContext['env'],
  path: PathSegment[],
): Problem[] {
  const region = deploymentRegion(
    { model, aws_region_name: asText(params['aws_region_name']), model_id: asText(params['model_id']) },
    { aws_region_name: asText(defaults?.['aws_region_name']) },
    env,
  );
  if (region) return [];
  const message =
    'required (no region found: set it here, or use a model_id ARN that names its region, ' +
    'or set bedrock_settings.aws_region_name, or the AWS_REGION, AWS_DEFAULT_REGION or AWS_REGION_NAME environment variable)';
  return [{ path: [...path, 'aws_region_name'], message }];
}

/** A deployment signs with AWS credentials or sends a Bedrock API key: with both, which one wins would be a guess. */
function apiKeyProblems(params: Record<string, unknown>, path: PathSegment[]): Problem[] {
  if (params['api_key'] === undefined || !AWS_KEYS.some((name) => params[name] !== undefined)) return [];
  const message = `cannot be combined with ${AWS_KEYS.join(' / ')}: a deployment uses a Bedrock API key or AWS credentials`;
  return [{ path: [...path, 'api_key'], message }];
}

function endpointProblems(section: Record<string, unknown>, path: PathSegment[]): Problem[] {
  return ENDPOINT_FIELDS.flatMap((field): Problem[] => {
    const endpoint = asText(section[field]);
    if (endpoint === undefined || isHttpUrl(endpoint)) return [];
    // The value is not repeated: an endpoint URL may carry credentials.
    return [{ path: [...path, field], message: 'must be an http:// or https:// URL' }];
  });
}

const ENDPOINT_FIELDS = ['aws_bedrock_runtime_endpoint', 'aws_bedrock_agent_runtime_endpoint'] as const;

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

/** Ids name deployments in headers, logs and records: two alike would mix their numbers up. */
function deploymentIdProblems(config: Record<string, unknown>, label: PathLabel): Problem[] {
  return repeatedValueProblems(asList(config['model_list']), ['model_list'], ['model_info', 'id'], label, (id, first) => `${id} is already the id of ${first}: ids must be unique`);
}

/**
 * A problem for every item of a list whose value at `field` (a path inside the item) repeats an earlier item's.
 * @param describe the message, from the repeated value (as JSON) and the label of the item that had it first
 */
function repeatedValueProblems(
  items: readonly unknown[],
  listPath: readonly PathSegment[],
  field: readonly PathSegment[],
  label: PathLabel,
  describe: (value: string, first: string) => string,
): Problem[] {
  const seen = new Map<string, PathSegment[]>();
  return items.flatMap((item, i): Problem[] => {
    let value: unknown = item;
    for (const segment of field) value = asMapping(value)?.[segment];
    const text = asText(value);
    const first = text === undefined ? undefined : claim(seen, text, [...listPath, i]);
    return first ? [{ path: [...listPath, i, ...field], message: describe(JSON.stringify(text), label(first)) }] : [];
  });
}

function bedrockSettingsProblems(config: Record<string, unknown>): Problem[] {
  const settings = asMapping(config['bedrock_settings']);
  return settings ? endpointProblems(settings, ['bedrock_settings']) : [];
}

function keyProblems(config: Record<string, unknown>, label: PathLabel): Problem[] {
  const keys = asList(config['keys']).map(asMapping);
  return [
    ...keyNameProblems(keys, label),
    ...keyFormProblems(keys),
    ...keySecretProblems(keys, config, label),
    ...keyModelProblems(keys, config),
    ...accessKeyIdProblems(keys, label),
  ];
}

/** An access key id picks the secret a signature is checked with: two keys cannot share one. */
function accessKeyIdProblems(keys: ReadonlyArray<Record<string, unknown> | undefined>, label: PathLabel): Problem[] {
  return repeatedValueProblems(keys, ['keys'], ['access_key_id'], label, (id, first) => `${id} is already the access_key_id of ${first}`);
}

/** Clients name guardrails, knowledge bases and agents by these names: one name must mean one resource. */
function resourceNameProblems(config: Record<string, unknown>, label: PathLabel): Problem[] {
  return (['guardrails', 'knowledge_bases', 'agents'] as const).flatMap((section) =>
    repeatedValueProblems(asList(config[section]), [section], ['name'], label, (name, first) => `${name} is already the name of ${first}`),
  );
}

/** Names label keys in logs and records, where two alike could not be told apart. */
function keyNameProblems(keys: ReadonlyArray<Record<string, unknown> | undefined>, label: PathLabel): Problem[] {
  return repeatedValueProblems(keys, ['keys'], ['name'], label, (name, first) => `${name} is already the name of ${first}`);
}

/** A key is given as its secret or as the secret's hash: one of the two, never both. */
function keyFormProblems(keys: ReadonlyArray<Record<string, unknown> | undefined>): Problem[] {
  return keys.flatMap((key, i): Problem[] => {
    if (!key) return [];
    const problems: Problem[] = [];
    const given = ['key', 'key_sha256'].filter((field) => key[field] !== undefined);
    const signs = key['access_key_id'] !== undefined;
    if (given.length > 1) problems.push({ path: ['keys', i, 'key'], message: 'set key or key_sha256, not both' });
    if (given.length === 0 && !signs) problems.push({ path: ['keys', i, 'key'], message: 'required (or key_sha256, or access_key_id and secret_access_key)' });
    const expires = asText(key['expires']);
    if (expires !== undefined && Number.isNaN(Date.parse(expires))) {
      problems.push({ path: ['keys', i, 'expires'], message: 'must be an ISO 8601 date and time, such as 2026-12-31T23:59:59Z' });
    }
    return problems;
  });
}

/**
 * A secret shared by two keys (or with the master key) would make one caller indistinguishable from another.
 * Compared by hash, so that a `key` and another's `key_sha256` of the same secret are caught too.
 */
function keySecretProblems(
  keys: ReadonlyArray<Record<string, unknown> | undefined>,
  config: Record<string, unknown>,
  label: PathLabel,
): Problem[] {
  const seen = new Map<string, PathSegment[]>();
  const masterKey = asText(asMapping(config['general_settings'])?.['master_key']);
  if (masterKey !== undefined) seen.set(sha256Hex(masterKey), ['general_settings', 'master_key']);
  return keys.flatMap((key, i): Problem[] => {
    const secret = asText(key?.['key']);
    const hash = secret === undefined ? asText(key?.['key_sha256'])?.toLowerCase() : sha256Hex(secret);
    const field = secret === undefined ? 'key_sha256' : 'key';
    const first = hash === undefined ? undefined : claim(seen, hash, ['keys', i, field]);
    // Where the other use is, never the secret itself.
    return first ? [{ path: ['keys', i, field], message: `same secret as ${label(first)}: keys must be unique` }] : [];
  });
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function keyModelProblems(keys: ReadonlyArray<Record<string, unknown> | undefined>, config: Record<string, unknown>): Problem[] {
  const modelNames = new Set(asList(config['model_list']).map((entry) => asMapping(entry)?.['model_name']));
  return keys.flatMap((key, i) =>
    asList(key?.['models']).flatMap((model, j): Problem[] =>
      typeof model === 'string' && !modelNames.has(model)
        ? [{ path: ['keys', i, 'models', j], message: `no model_name ${JSON.stringify(model)} in model_list` }]
        : [],
    ),
  );
}

/** Records `value` as used at `path`, or returns where it was used first. */
function claim(seen: Map<string, PathSegment[]>, value: string, path: PathSegment[]): PathSegment[] | undefined {
  const first = seen.get(value);
  if (!first) seen.set(value, path);
  return first;
}

function authenticationProblems(config: Record<string, unknown>): Problem[] {
  const general = asMapping(config['general_settings']);
  const hasKeys = general?.['master_key'] !== undefined || asList(config['keys']).length > 0;
  if (hasKeys || general?.['allow_unauthenticated'] === true) return [];
  return [
    {
      path: ['general_settings', 'master_key'],
      message:
        'required: no client key is configured, so anyone could call Bedrock through the gateway. ' +
        'Set general_settings.master_key, or add a keys list, ' +
        'or set general_settings.allow_unauthenticated: true to serve without keys on purpose',
    },
  ];
}
