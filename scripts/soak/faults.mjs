// About one upstream call in ten goes wrong, by chance: the emulator's scripted faults, each with a probability.
import { FIXED_USAGE } from './gateways.mjs';

const STREAMS = ['invoke-with-response-stream', 'converse-stream'];

/**
 * Each fault with its chance per call: 10 % in all for every operation (6 % common to all, 4 % of faults that only
 * streams or only plain answers can have). The emulator tries them in order and takes the first that fires, so a
 * little under 10 % of calls get one (1 − Π(1 − p) ≈ 9.6 %); three in ten of those are only delays. Every behaviour also reports {@link FIXED_USAGE},
 * so an answer that completes despite a fault (a delay) carries the same tokens as any other.
 */
const FAULTS = [
  { name: 'error 500', probability: 0.02, error: { type: 'InternalServerException' } },
  { name: 'error 503', probability: 0.01, error: { type: 'ServiceUnavailableException' } },
  { name: 'error 429', probability: 0.01, error: { type: 'ThrottlingException' } },
  { name: 'first byte after 300 ms', probability: 0.02, firstByteDelayMs: 300 },
  { name: 'stream exception', probability: 0.01, match: { operation: STREAMS }, streamException: { type: 'modelStreamErrorException', afterFrames: 2 } },
  { name: 'stream cut mid-frame', probability: 0.01, match: { operation: STREAMS }, cutConnection: { afterFrames: 1, midFrame: true } },
  { name: 'corrupt frame', probability: 0.01, match: { operation: STREAMS }, corruptFrame: { afterFrames: 2 } },
  { name: '30 ms between frames', probability: 0.01, match: { operation: STREAMS }, chunkDelayMs: 30 },
  { name: 'connection cut before answering', probability: 0.02, match: { operation: ['invoke', 'converse'] }, cutConnection: {} },
  { name: 'answer after 1 s', probability: 0.02, match: { operation: ['invoke', 'converse'] }, firstByteDelayMs: 1000 },
];

/** Queues the faults, then the fixed usage for every other call, on the emulator until it is reset. */
export function injectFaults(emulator) {
  for (const fault of FAULTS) emulator.inject({ ...fault, usage: FIXED_USAGE, times: Infinity });
  emulator.inject({ usage: FIXED_USAGE, times: Infinity });
}

/** The faults as the summary lists them. */
export const FAULT_NAMES = FAULTS.map(({ name, probability }) => `${name} ${probability * 100}%`);
