/**
 * The Bedrock operations the gateway serves, by the names used in config (`keys[].operations`), logs and records.
 * They are the last segment of the model routes' paths.
 */
export const MODEL_OPERATIONS = ['invoke', 'invoke-with-response-stream', 'converse', 'converse-stream'] as const;

/** A Bedrock operation served by the gateway. */
export type OperationName = (typeof MODEL_OPERATIONS)[number];
