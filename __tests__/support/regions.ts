/** Three emulators in three regions, started once per test file and reset before each test. */
import { startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';

export interface Regions {
  east: BedrockEmulator;
  west: BedrockEmulator;
  eu: BedrockEmulator;
}

/** Registers the hooks; the returned object holds the emulators once `beforeAll` has run. */
export function useThreeRegions(replies = false): Regions {
  const regions = {} as Regions;
  beforeAll(async () => {
    const reply = (name: string) => (replies ? { replyText: `from ${name}` } : {});
    [regions.east, regions.west, regions.eu] = await Promise.all([
      startBedrockEmulator({ region: 'us-east-1', ...reply('east') }),
      startBedrockEmulator({ region: 'us-west-2', ...reply('west') }),
      startBedrockEmulator({ region: 'eu-west-1', ...reply('eu') }),
    ]);
  });
  afterAll(() => Promise.all([regions.east.close(), regions.west.close(), regions.eu.close()]));
  beforeEach(() => [regions.east, regions.west, regions.eu].forEach((emulator) => emulator.reset()));
  return regions;
}
