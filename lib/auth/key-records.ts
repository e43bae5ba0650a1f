/** A key as configured (in `config.yaml` or by a host's key source) turned into the {@link Principal} it authenticates. */
import type { KeyConfig } from '../config/types';
import type { OperationName } from '../operations';
import type { KeyLimits, Principal } from '../types';

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s`, `15m`, `12h`, `7d` → milliseconds; undefined for anything else. */
export function durationMs(text: string | undefined): number | undefined {
  const match = text === undefined ? undefined : /^([1-9][0-9]*)([smhd])$/.exec(text);
  return match ? Number(match[1]) * (UNIT_MS[match[2] as string] as number) : undefined;
}

function limitsOf(key: KeyConfig): KeyLimits | undefined {
  const limits: KeyLimits = {
    rpm: key.rpm,
    tpm: key.tpm,
    maxParallelRequests: key.max_parallel_requests,
    maxBudgetUsd: key.max_budget,
    budgetDurationMs: durationMs(key.budget_duration),
  };
  return Object.values(limits).some((value) => value !== undefined) ? limits : undefined;
}

/** The principal of a key. Its id is its name: stable across restarts and instances, which share limits by it. */
export function principalOf(key: KeyConfig): Principal {
  return {
    keyId: `key:${key.name}`,
    keyName: key.name,
    models: key.models,
    operations: key.operations as OperationName[] | undefined,
    guardrails: key.guardrails,
    knowledgeBases: key.knowledge_bases,
    agents: key.agents,
    limits: limitsOf(key),
    expiresAt: key.expires === undefined ? undefined : new Date(key.expires),
    disabled: key.disabled,
    metadata: key.metadata,
  };
}
