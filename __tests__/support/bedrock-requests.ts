/** Requests the tests send, in the shapes Bedrock defines. */

export const CLAUDE_ID = 'anthropic.claude-3-5-sonnet-20240620-v1:0';

/** An Anthropic Messages body for InvokeModel. */
export const ANTHROPIC_BODY = JSON.stringify({
  anthropic_version: 'bedrock-2023-05-31',
  max_tokens: 100,
  messages: [{ role: 'user', content: 'Say hello' }],
});

/** Converse messages. */
export const MESSAGES = [{ role: 'user' as const, content: [{ text: 'Say hello' }] }];

/** The Anthropic event types of an InvokeModelWithResponseStream answer, in order (`message_start` ... `message_stop`). */
export async function anthropicEventTypes(body: AsyncIterable<{ chunk?: { bytes?: Uint8Array } | undefined }> | undefined): Promise<unknown[]> {
  const types: unknown[] = [];
  for await (const part of body ?? []) types.push((JSON.parse(Buffer.from(part.chunk?.bytes ?? []).toString()) as { type: unknown }).type);
  return types;
}
