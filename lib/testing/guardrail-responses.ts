/**
 * What the emulated guardrails answer, in Bedrock's wire shapes: ApplyGuardrail (a guardrail with a word policy)
 * and InvokeGuardrailChecks (inline content-filter, prompt-attack and sensitive-information checks). Findings
 * come from simple, predictable rules so tests can provoke each of them.
 */
import { asArray, asObject, asString, valueAt, type JsonObject } from './json-values';

/** Guardrails count text in units of up to 1,000 characters. */
function textUnits(texts: readonly string[]): number {
  return texts.reduce((sum, text) => sum + Math.max(1, Math.ceil(text.length / 1000)), 0);
}

function blockedWordsIn(texts: readonly string[], blockedWords: readonly string[]): string[] {
  return blockedWords.filter((word) => texts.some((text) => text.toLowerCase().includes(word.toLowerCase())));
}

/** An ApplyGuardrail response: intervenes when the content holds one of the blocked words. */
export function applyGuardrailBody(texts: readonly string[], blockedWords: readonly string[]): string {
  const found = blockedWordsIn(texts, blockedWords);
  return JSON.stringify({
    usage: {
      topicPolicyUnits: 0,
      contentPolicyUnits: 0,
      wordPolicyUnits: textUnits(texts),
      sensitiveInformationPolicyUnits: 0,
      sensitiveInformationPolicyFreeUnits: 0,
      contextualGroundingPolicyUnits: 0,
    },
    action: found.length > 0 ? 'GUARDRAIL_INTERVENED' : 'NONE',
    outputs: found.length > 0 ? [{ text: 'Sorry, the model cannot answer this question.' }] : [],
    assessments: [
      {
        wordPolicy: {
          customWords: found.map((match) => ({ match, action: 'BLOCKED', detected: true })),
          managedWordLists: [],
        },
      },
    ],
  });
}

/** The texts of ApplyGuardrail's `content` blocks. */
export function applyGuardrailTexts(json: JsonObject | undefined): string[] {
  return (asArray(json?.['content']) ?? [])
    .map((block) => asString(valueAt(block, 'text.text')))
    .filter((text): text is string => text !== undefined);
}

/** The entity types the emulator detects, each by a pattern; other configured types are never found. */
const SENSITIVE_PATTERNS: Readonly<Record<string, RegExp>> = {
  EMAIL: /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g,
  US_SOCIAL_SECURITY_NUMBER: /\b\d{3}-\d{2}-\d{4}\b/g,
  IP_ADDRESS: /\b(?:\d{1,3}\.){3}\d{1,3}\b/g,
  AWS_ACCESS_KEY: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g,
};

const PROMPT_ATTACK_PATTERNS: Readonly<Record<string, RegExp>> = {
  JAILBREAK: /ignore (?:all |any )?(?:previous|prior|above) instructions/i,
  PROMPT_INJECTION: /ignore (?:all |any )?(?:previous|prior|above) instructions/i,
  PROMPT_LEAKAGE: /(?:reveal|print|show) (?:your|the) system prompt/i,
};

interface CheckedText {
  readonly text: string;
  readonly messageIndex: number;
  readonly contentIndex: number;
}

/** The `category` (or `type`) of each configured entry of a check. */
function configured(json: JsonObject, check: string, list: string, key: string): string[] | undefined {
  const entries = asArray(valueAt(json, `checks.${check}.${list}`));
  return entries?.map((entry) => asString(asObject(entry)?.[key])).filter((value): value is string => value !== undefined);
}

/**
 * An InvokeGuardrailChecks response with a result and usage for each configured check. Content filters score
 * 0.9 in every configured category when a text holds one of the blocked words, else 0; prompt attacks score 0.95
 * on "ignore previous instructions" (jailbreak, injection) or "reveal your system prompt" (leakage); sensitive
 * information finds e-mail and IP addresses, US social security numbers and AWS access key ids, with offsets
 * (end exclusive) into the content block.
 */
export function invokeGuardrailChecksBody(json: JsonObject, blockedWords: readonly string[]): string {
  const texts: CheckedText[] = (asArray(json['messages']) ?? []).flatMap((message, messageIndex) =>
    (asArray(asObject(message)?.['content']) ?? []).flatMap((block, contentIndex) => {
      const text = asString(asObject(block)?.['text']);
      return text === undefined ? [] : [{ text, messageIndex, contentIndex }];
    }),
  );
  const plain = texts.map(({ text }) => text);
  const units = { textUnits: textUnits(plain) };
  const results: Record<string, unknown> = {};
  const usage: Record<string, unknown> = {};

  const contentCategories = configured(json, 'contentFilter', 'categories', 'category');
  if (contentCategories) {
    const severityScore = blockedWordsIn(plain, blockedWords).length > 0 ? 0.9 : 0;
    results['contentFilter'] = { results: contentCategories.map((category) => ({ category, severityScore })) };
    usage['contentFilter'] = units;
  }
  const attackCategories = configured(json, 'promptAttack', 'categories', 'category');
  if (attackCategories) {
    results['promptAttack'] = {
      results: attackCategories.map((category) => {
        const pattern = PROMPT_ATTACK_PATTERNS[category];
        return { category, severityScore: pattern && plain.some((text) => pattern.test(text)) ? 0.95 : 0 };
      }),
    };
    usage['promptAttack'] = units;
  }
  const entityTypes = configured(json, 'sensitiveInformation', 'entities', 'type');
  if (entityTypes) {
    const findings = entityTypes.flatMap((type) => {
      const pattern = SENSITIVE_PATTERNS[type];
      if (!pattern) return [];
      return texts.flatMap(({ text, messageIndex, contentIndex }) =>
        [...text.matchAll(pattern)].map((match) => ({
          type,
          confidenceScore: 0.99,
          beginOffset: match.index,
          endOffset: match.index + match[0].length,
          messageIndex,
          contentIndex,
        })),
      );
    });
    results['sensitiveInformation'] = { results: findings, truncated: false };
    usage['sensitiveInformation'] = units;
  }
  return JSON.stringify({ results, usage });
}
