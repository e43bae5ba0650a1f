/**
 * What is wrong with a configuration, where, and the one error that reports it all at once.
 * Messages name paths and environment variables, never values: a configuration holds secrets.
 */

/** A step in a path into the configuration: a key, or an index in a list. */
export type PathSegment = string | number;

/** Something wrong (or ignored) at a place in the configuration. */
export interface Problem {
  readonly path: readonly PathSegment[];
  readonly message: string;
}

/**
 * Thrown when a configuration cannot be used. It lists every problem found, one per line, so that a file can be
 * fixed in one go rather than one start-up at a time.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  /**
   * @param problems - one line each, `path: what is wrong` (e.g. `model_list[1].litellm_params.aws_region_name: required`).
   * @param file - the configuration file, when the configuration came from one.
   */
  constructor(
    readonly problems: string[],
    readonly file?: string,
  ) {
    super(`${heading(problems.length, file)}\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  }
}

function heading(count: number, file: string | undefined): string {
  const where = file === undefined ? '' : ` in ${file}`;
  return `Invalid configuration${where} (${count} ${count === 1 ? 'problem' : 'problems'}):`;
}

/** A path as LiteLLM users read it: `model_list[1].litellm_params.aws_region_name`. */
export function formatPath(path: readonly PathSegment[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : i === 0 ? segment : `.${segment}`)).join('');
}

/** Whether `path` is `prefix` or lies inside it. */
export function isWithin(path: readonly PathSegment[], prefix: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => path[i] === segment);
}

/** `path: message` lines, grouped by place (indexes in numeric order), in the order found within one place. */
export function formatProblems(problems: readonly Problem[]): string[] {
  const sorted = [...problems].sort((a, b) => comparePaths(a.path, b.path));
  return sorted.map((problem) => `${formatPath(problem.path)}: ${problem.message}`);
}

function comparePaths(a: readonly PathSegment[], b: readonly PathSegment[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const order = compareSegments(a[i] as PathSegment, b[i] as PathSegment);
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

function compareSegments(a: PathSegment, b: PathSegment): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}
