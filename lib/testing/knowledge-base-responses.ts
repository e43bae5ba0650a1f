/**
 * What the emulated knowledge bases and reranker answer, in Bedrock Agent Runtime's wire shapes: Retrieve,
 * RetrieveAndGenerate (and its event stream) and Rerank. Every knowledge base holds the same small corpus, and
 * relevance is the share of the query's words a passage contains: crude, but predictable in tests.
 */
import { randomUUID } from 'node:crypto';
import { encodeEventFrame } from '../aws/bedrock-frames';
import { asArray, asObject, asString, stringAt, valueAt, type JsonObject } from './json-values';

/** A passage of the emulated knowledge bases. */
export interface KnowledgeBaseDocument {
  readonly text: string;
  /** Where it came from, as an S3 URI. Default: `s3://bedrock-emulator-kb/document-{n}.txt`. */
  readonly uri?: string;
  /** Metadata attributes returned with it, beside the `x-amz-bedrock-kb-*` ones Bedrock adds. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** The corpus unless the emulator is given one. */
export const DEFAULT_KNOWLEDGE_BASE_DOCUMENTS: readonly KnowledgeBaseDocument[] = [
  { text: 'Amazon Bedrock is a fully managed service that offers foundation models through a single API.' },
  { text: 'Knowledge bases for Amazon Bedrock retrieve passages from your data sources to ground model answers.' },
  { text: 'Guardrails for Amazon Bedrock filter harmful content and sensitive information in prompts and answers.' },
  { text: 'Agents for Amazon Bedrock plan and run multistep tasks with action groups and knowledge bases.' },
  { text: 'The emulator answers every knowledge base query from this small fixed corpus.' },
];

/** Bedrock's default number of retrieved results. */
const DEFAULT_NUMBER_OF_RESULTS = 5;
const DATA_SOURCE_ID = 'EMULATORDS';
const GUARDRAIL_MESSAGE = 'Sorry, the model cannot answer this question.';

function words(text: string): Set<string> {
  return new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
}

/** The share (0 to 1) of the query's distinct words that the text contains. */
export function relevance(query: string, text: string): number {
  const queryWords = words(query);
  if (queryWords.size === 0) return 0;
  const textWords = words(text);
  let found = 0;
  for (const word of queryWords) if (textWords.has(word)) found += 1;
  return found / queryWords.size;
}

/** Indexes of the items by relevance to the query, best first; equal scores keep their order. */
function ranked(query: string, texts: readonly string[]): Array<{ index: number; score: number }> {
  return texts
    .map((text, index) => ({ index, score: Math.round(relevance(query, text) * 10_000) / 10_000 }))
    .sort((a, b) => b.score - a.score || a.index - b.index);
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

/** A retrieved passage, shaped as both `KnowledgeBaseRetrievalResult` (with `score`) and `RetrievedReference`. */
interface RetrievedPassage {
  readonly content: { readonly type: 'TEXT'; readonly text: string };
  readonly location: { readonly type: 'S3'; readonly s3Location: { readonly uri: string } };
  readonly metadata: Record<string, unknown>;
  readonly score: number;
}

function retrieve(corpus: readonly KnowledgeBaseDocument[], query: string, numberOfResults: number): RetrievedPassage[] {
  return ranked(query, corpus.map((document) => document.text))
    .slice(0, numberOfResults)
    .map(({ index, score }) => {
      const document = corpus[index] as KnowledgeBaseDocument;
      const uri = document.uri ?? `s3://bedrock-emulator-kb/document-${index + 1}.txt`;
      return {
        content: { type: 'TEXT', text: document.text },
        location: { type: 'S3', s3Location: { uri } },
        metadata: {
          'x-amz-bedrock-kb-source-uri': uri,
          'x-amz-bedrock-kb-chunk-id': `emulator-chunk-${index + 1}`,
          'x-amz-bedrock-kb-data-source-id': DATA_SOURCE_ID,
          ...document.metadata,
        },
        score,
      };
    });
}

function containsBlockedWord(text: string, blockedWords: readonly string[]): boolean {
  return blockedWords.some((word) => text.toLowerCase().includes(word.toLowerCase()));
}

/** What the knowledge bases and reranker need besides the request. */
export interface KnowledgeBaseSettings {
  readonly corpus: readonly KnowledgeBaseDocument[];
  /** Words that make a configured guardrail intervene. */
  readonly blockedWords: readonly string[];
}

/**
 * A Retrieve response: the `numberOfResults` (default 5) most relevant passages. With a `guardrailConfiguration`,
 * a query holding a blocked word gets `guardrailAction: INTERVENED` and no results.
 */
export function retrieveBody(json: JsonObject, settings: KnowledgeBaseSettings): string {
  const query = stringAt(json, 'retrievalQuery.text') ?? '';
  const search = asObject(valueAt(json, 'retrievalConfiguration'));
  const numberOfResults =
    positiveInteger(valueAt(search, 'vectorSearchConfiguration.numberOfResults')) ??
    positiveInteger(valueAt(search, 'managedSearchConfiguration.numberOfResults')) ??
    DEFAULT_NUMBER_OF_RESULTS;
  if (json['guardrailConfiguration'] !== undefined) {
    const intervened = containsBlockedWord(query, settings.blockedWords);
    return JSON.stringify({
      retrievalResults: intervened ? [] : retrieve(settings.corpus, query, numberOfResults),
      guardrailAction: intervened ? 'INTERVENED' : 'NONE',
    });
  }
  return JSON.stringify({ retrievalResults: retrieve(settings.corpus, query, numberOfResults) });
}

/** One RetrieveAndGenerate answer, before it is shaped as a body or as stream events. */
export interface GeneratedAnswer {
  readonly sessionId: string;
  readonly text: string;
  /** One citation of the whole text, referencing the passages retrieved; none when a guardrail intervened. */
  readonly citations: readonly object[];
  /** Only when the request configured a guardrail. */
  readonly guardrailAction?: 'INTERVENED' | 'NONE';
}

/**
 * RetrieveAndGenerate's answer: the reply text citing the passages most relevant to `input.text` (both knowledge
 * base and external sources configurations draw on the emulated corpus). The session id is the request's, or new.
 */
export function generateAnswer(json: JsonObject, replyText: string, settings: KnowledgeBaseSettings): GeneratedAnswer {
  const query = stringAt(json, 'input.text') ?? '';
  const sessionId = asString(json['sessionId']) ?? randomUUID();
  const knowledgeBase = asObject(valueAt(json, 'retrieveAndGenerateConfiguration.knowledgeBaseConfiguration'));
  const guarded =
    valueAt(knowledgeBase, 'generationConfiguration.guardrailConfiguration') !== undefined ||
    valueAt(json, 'retrieveAndGenerateConfiguration.externalSourcesConfiguration.generationConfiguration.guardrailConfiguration') !==
      undefined;
  if (guarded && containsBlockedWord(query, settings.blockedWords)) {
    return { sessionId, text: GUARDRAIL_MESSAGE, citations: [], guardrailAction: 'INTERVENED' };
  }
  const numberOfResults =
    positiveInteger(valueAt(knowledgeBase, 'retrievalConfiguration.vectorSearchConfiguration.numberOfResults')) ??
    DEFAULT_NUMBER_OF_RESULTS;
  // A RetrievedReference is a retrieval result without the score.
  const references = retrieve(settings.corpus, query, numberOfResults).map(({ score: _score, ...reference }) => reference);
  const citation = {
    // Span offsets are of the whole generated text, end inclusive.
    generatedResponsePart: { textResponsePart: { text: replyText, span: { start: 0, end: Math.max(0, replyText.length - 1) } } },
    retrievedReferences: references,
  };
  return { sessionId, text: replyText, citations: [citation], ...(guarded ? { guardrailAction: 'NONE' as const } : {}) };
}

/** A RetrieveAndGenerate response body. */
export function retrieveAndGenerateBody(answer: GeneratedAnswer): string {
  return JSON.stringify({
    sessionId: answer.sessionId,
    output: { text: answer.text },
    citations: answer.citations,
    ...(answer.guardrailAction ? { guardrailAction: answer.guardrailAction } : {}),
  });
}

/**
 * RetrieveAndGenerateStream frames: an `output` event per delta, a `citation` event per citation (with the
 * deprecated `citation` member beside its replacements, as Bedrock still sends it), then a `guardrail` event
 * when the request configured a guardrail.
 */
export function retrieveAndGenerateStreamFrames(answer: GeneratedAnswer, deltas: readonly string[]): Buffer[] {
  const outputs = answer.guardrailAction === 'INTERVENED' ? [answer.text] : deltas;
  return [
    ...outputs.map((text) => encodeEventFrame('output', { text })),
    ...answer.citations.map((citation) => encodeEventFrame('citation', { citation, ...citation })),
    ...(answer.guardrailAction ? [encodeEventFrame('guardrail', { action: answer.guardrailAction })] : []),
  ];
}

/**
 * A Rerank response: the sources by relevance to the queries' text, best first, at most `numberOfResults`
 * (default: all), each with its index in `sources`, its score and the document as sent.
 */
export function rerankBody(json: JsonObject): string {
  const query = (asArray(json['queries']) ?? []).map((entry) => stringAt(entry, 'textQuery.text') ?? '').join(' ');
  const documents = (asArray(json['sources']) ?? []).map((source) => asObject(valueAt(source, 'inlineDocumentSource')) ?? {});
  const texts = documents.map((document) => asString(valueAt(document, 'textDocument.text')) ?? JSON.stringify(document['jsonDocument'] ?? ''));
  const limit =
    positiveInteger(valueAt(json, 'rerankingConfiguration.bedrockRerankingConfiguration.numberOfResults')) ?? documents.length;
  return JSON.stringify({
    results: ranked(query, texts)
      .slice(0, limit)
      .map(({ index, score }) => ({ index, relevanceScore: score, document: documents[index] })),
  });
}
