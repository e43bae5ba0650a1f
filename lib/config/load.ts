/**
 * Reads a LiteLLM-style `config.yaml` into a checked {@link GatewayConfig}: YAML, then `os.environ/NAME` values,
 * then one JSON schema and the rules beyond it. Every problem is collected and thrown at once as a
 * {@link ConfigError}; what is only LiteLLM's is dropped with a warning.
 */
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { CORE_SCHEMA, YAMLException, load as parseYaml, mergeTag } from 'js-yaml';
import { ConfigError, formatPath, formatProblems, isWithin, type PathSegment, type Problem } from './problems';
import { asMapping, checkRules, checkShape } from './schema';
import type { GatewayConfig } from './types';

export { ConfigError } from './problems';

/** Environment variables by name, like `process.env`. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Options of {@link loadConfig} and {@link resolveConfig}. */
export interface LoadConfigOptions {
  /**
   * Where `os.environ/NAME` values and the fallback regions `AWS_REGION` / `AWS_DEFAULT_REGION` / `AWS_REGION_NAME` are read.
   * Default: `process.env`.
   */
  env?: Environment;
  /**
   * Receives one message per thing accepted but not used: an unknown key of a LiteLLM section, a deployment of
   * another provider. Default: none, the caller decides whether and where to print them.
   */
  warn?: (message: string) => void;
  /**
   * The host authenticates callers itself (its own authenticator): a configuration without any client key is then
   * not a problem. Default: false.
   */
  externalAuth?: boolean;
}

/**
 * Loads the gateway's configuration.
 *
 * @param source - a path to a YAML file, or YAML text: a string that contains a newline is text, any other a path.
 * @returns the resolved configuration, as {@link resolveConfig} returns it.
 * @throws {@link ConfigError} listing every problem: a file that cannot be read, a YAML syntax error (with its line
 * and column), or what {@link resolveConfig} finds.
 */
export function loadConfig(source: string, options: LoadConfigOptions = {}): GatewayConfig {
  if (source.includes('\n')) return resolveConfig(parseConfigText(source), options);
  const text = readConfigFile(source);
  try {
    return resolveConfig(parseConfigText(text), options);
  } catch (error) {
    // Paths inside the file mean more next to the file's name.
    if (error instanceof ConfigError) throw new ConfigError(error.problems, source);
    throw error;
  }
}

function readConfigFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const reason = code === 'ENOENT' ? 'file not found' : `cannot be read (${message})`;
    throw new ConfigError([`${path}: ${reason} (looked for ${resolvePath(path)})`], path);
  }
}

/** YAML 1.2 (core schema), plus merge keys (`<<: *defaults`), which LiteLLM's PyYAML reads too. */
const YAML_SCHEMA = CORE_SCHEMA.withTags(mergeTag);

function parseConfigText(text: string): unknown {
  try {
    return parseYaml(text, { schema: YAML_SCHEMA });
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    // The reason and position only: js-yaml's own message quotes the surrounding lines, which may hold secrets.
    const where = error.mark ? `line ${error.mark.line + 1}, column ${error.mark.column + 1}` : 'YAML';
    throw new ConfigError([`${where}: ${error.reason}`]);
  }
}

/**
 * Resolves and checks a configuration object: the parsed YAML, or an object a host builds in code.
 *
 * - Every string that is exactly `os.environ/NAME`, anywhere, becomes the value of environment variable `NAME`;
 *   a variable that is not set is a problem.
 * - Deployments of other providers (`litellm_params.model` not `bedrock/...`) are dropped with a warning, so one
 *   file can serve LiteLLM and this gateway; their variables are not read.
 * - Unknown keys in LiteLLM's sections are dropped with a warning; in `bedrock_settings` and `keys` they are problems.
 *   Entries written `key:` with no value count as absent, as in LiteLLM.
 * - Values are checked against the JSON schema and coerced (`"60"` from the environment becomes `60`), then the
 *   rules beyond it are checked (regions, credential pairs, unique ids and keys, key models, authentication).
 *
 * Idempotent: resolving a resolved configuration gives an equal one. The input is never modified.
 *
 * @returns a new, resolved configuration.
 * @throws {@link ConfigError} listing every problem found. Messages name paths and variables, never values.
 */
export function resolveConfig(raw: unknown, options: LoadConfigOptions = {}): GatewayConfig {
  const env = options.env ?? process.env;
  const input = asMapping(raw);
  if (!input) throw new ConfigError(['(top level): must be a mapping of sections (model_list, general_settings, ...)']);

  const { config, fileIndexes, otherProviders } = withoutOtherProviders(input, env);
  const references: EnvReference[] = [];
  const resolved = substituteEnv(config, [], env, references) as Record<string, unknown>;
  const shape = checkShape(resolved);
  for (const path of shape.ignoredKeys) removeAt(resolved, path);

  const toFile = (problems: readonly Problem[]): Problem[] => problems.map((p) => ({ ...p, path: fileIndexes(p.path) }));
  const ignored = shape.ignoredKeys.map((path) => ({ path, message: 'not used by bedrock-passthrough, ignored' }));
  formatProblems([...otherProviders, ...toFile(ignored)]).forEach((warning) => options.warn?.(warning));

  const rules = checkRules(resolved, {
    env,
    externalAuth: options.externalAuth === true,
    label: (path) => formatPath(fileIndexes(path)),
  });
  const problems = [
    ...unsetVariables(references, shape.ignoredKeys),
    ...withVariableNames([...shape.problems, ...rules], references),
  ];
  if (problems.length > 0) throw new ConfigError(formatProblems(toFile(problems)));
  return resolved as unknown as GatewayConfig;
}

const DEPLOYMENT_IGNORED = 'deployment not used by bedrock-passthrough, ignored';

/** A configuration without the deployments of other providers, and how to find a deployment's index in the file. */
interface BedrockOnly {
  config: Record<string, unknown>;
  /** Maps a path in `config` to the same place in the file (indexes in `model_list` shift when entries are taken out). */
  fileIndexes: (path: readonly PathSegment[]) => PathSegment[];
  /** One warning per deployment taken out, at its path in the file. */
  otherProviders: Problem[];
}

function withoutOtherProviders(input: Record<string, unknown>, env: Environment): BedrockOnly {
  const list = input['model_list'];
  if (!Array.isArray(list)) return { config: input, fileIndexes: (path) => [...path], otherProviders: [] };
  const kept: number[] = [];
  const otherProviders: Problem[] = [];
  list.forEach((entry, i) => {
    const model = declaredModel(entry, env);
    if (model === undefined || model.startsWith('bedrock/')) {
      kept.push(i);
    } else {
      otherProviders.push({
        path: ['model_list', i, 'litellm_params', 'model'],
        message: `${JSON.stringify(model)} is not a Bedrock model (bedrock/<model id>): ${DEPLOYMENT_IGNORED}`,
      });
    }
  });
  return {
    config: { ...input, model_list: kept.map((i) => list[i]) },
    fileIndexes: (path) =>
      path[0] === 'model_list' && typeof path[1] === 'number'
        ? ['model_list', kept[path[1]] ?? path[1], ...path.slice(2)]
        : [...path],
    otherProviders,
  };
}

/** A deployment's `litellm_params.model`, read through `os.environ/` if need be; undefined if there is none to read. */
function declaredModel(entry: unknown, env: Environment): string | undefined {
  const model = asMapping(asMapping(entry)?.['litellm_params'])?.['model'];
  if (typeof model !== 'string') return undefined;
  const name = envReferenceName(model);
  return name === undefined ? model : env[name];
}

/** A `os.environ/NAME` value met while resolving, and whether the variable was set. */
interface EnvReference {
  path: PathSegment[];
  name: string;
  set: boolean;
}

const ENV_PREFIX = 'os.environ/';

function envReferenceName(value: string): string | undefined {
  return value.startsWith(ENV_PREFIX) ? value.slice(ENV_PREFIX.length) : undefined;
}

/**
 * A copy of `value` with every `os.environ/NAME` string replaced by the variable's value, recording each reference
 * in `references`. An unset variable keeps its `os.environ/NAME` text until the problem is reported. Mapping
 * entries without a value (`key:` in YAML) are left out: LiteLLM reads them as unset.
 */
function substituteEnv(
  value: unknown,
  path: PathSegment[],
  env: Environment,
  references: EnvReference[],
): unknown {
  if (typeof value === 'string') {
    const name = envReferenceName(value);
    if (name === undefined) return value;
    const variable = name === '' ? undefined : env[name];
    references.push({ path, name, set: variable !== undefined });
    return variable ?? value;
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, [...path, i], env, references));
  const mapping = asMapping(value);
  if (!mapping) return value;
  return Object.fromEntries(
    Object.entries(mapping)
      .filter(([, entry]) => entry !== null)
      .map(([key, entry]) => [key, substituteEnv(entry, [...path, key], env, references)]),
  );
}

/** Unset variables are problems, except under keys that are ignored anyway (a LiteLLM `database_url`, say). */
function unsetVariables(references: readonly EnvReference[], ignoredKeys: readonly PathSegment[][]): Problem[] {
  return references
    .filter((reference) => !reference.set && !ignoredKeys.some((ignored) => isWithin(reference.path, ignored)))
    .map(({ path, name }) => ({
      path,
      message:
        name === ''
          ? `${ENV_PREFIX} names no environment variable`
          : `environment variable ${name} is not set (${ENV_PREFIX}${name})`,
    }));
}

/**
 * Says which variable a wrong value came from (`must be a number (os.environ/RPM)`), never the value. A problem
 * with a value of an unset variable is dropped: the unset variable is the problem, already reported.
 */
function withVariableNames(problems: readonly Problem[], references: readonly EnvReference[]): Problem[] {
  const byPath = new Map(references.map((reference) => [JSON.stringify(reference.path), reference]));
  return problems.flatMap((problem) => {
    const reference = byPath.get(JSON.stringify(problem.path));
    if (!reference) return [problem];
    return reference.set ? [{ ...problem, message: `${problem.message} (${ENV_PREFIX}${reference.name})` }] : [];
  });
}

function removeAt(root: Record<string, unknown>, path: readonly PathSegment[]): void {
  type Node = Record<PathSegment, unknown>;
  const parent = path.slice(0, -1).reduce<unknown>((node, segment) => (node as Node)[segment], root);
  delete (parent as Node)[path[path.length - 1] as PathSegment];
}
