/** A model family, as usage extraction sees it: one response format of InvokeModel and its stream. */
import type { JsonObject } from '../json';
import type { UsageReading } from '../reading';

/** The response formats whose usage is read. Models that share a format share a family (Jamba and gpt-oss both answer OpenAI-style). */
export type ModelFamilyName = 'anthropic' | 'amazon-nova' | 'amazon-titan' | 'meta-llama' | 'cohere' | 'openai-chat';

export interface ModelFamily {
  readonly name: ModelFamilyName;
  /**
   * The usage in one parsed InvokeModel body or one decoded stream event, or `undefined` when it reports none.
   * `final` marks the event that closes a stream's usage; a whole body is final whatever this says.
   */
  read(value: JsonObject): UsageReading | undefined;
  /** Whether a body or stream event has this family's shape: for model ids that do not name the model. */
  recognizes(value: JsonObject): boolean;
}
