/** The errors the emulator answers with, and the status each service gives them. */
import { BEDROCK_AGENT_RUNTIME_ERROR_STATUS, BEDROCK_ERROR_STATUS, type BedrockErrorType } from '../aws/bedrock-errors';

/** The AWS service an emulated operation belongs to; both answer on the emulator's one port. */
export type EmulatedService = 'bedrock-runtime' | 'bedrock-agent-runtime';

/** An error's HTTP status in a service's model: the two services disagree on a few. */
export function errorStatus(type: BedrockErrorType, service: EmulatedService): number {
  return (service === 'bedrock-agent-runtime' ? BEDROCK_AGENT_RUNTIME_ERROR_STATUS : BEDROCK_ERROR_STATUS)[type];
}

/**
 * An error answer: the type, its message, extra headers, and a status when it is not the type's own in the
 * called service's model ({@link errorStatus}).
 */
export class EmulatedError {
  constructor(
    readonly type: BedrockErrorType,
    readonly message: string,
    readonly status?: number,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}
}

/**
 * AWS's message for members that fail validation, as its front end words it:
 * `2 validation errors detected: Value null at 'input' failed to satisfy constraint: Member must not be null; ...`.
 */
export function validationError(problems: readonly string[]): EmulatedError {
  const count = `${problems.length} validation error${problems.length === 1 ? '' : 's'} detected`;
  return new EmulatedError('ValidationException', `${count}: ${problems.join('; ')}`);
}

/** One problem of {@link validationError}: a required member that is absent. */
export function missingMember(path: string): string {
  return `Value null at '${path}' failed to satisfy constraint: Member must not be null`;
}
