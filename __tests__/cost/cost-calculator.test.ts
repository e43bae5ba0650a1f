import { createCostCalculator, type PriceBook } from '../../lib/cost';
import type { Logger } from '../../lib/types';
import type { TokenUsage } from '../../lib/usage/types';

function recordingLogger(): Logger & { warn: jest.Mock } {
  return { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
}

const usage: TokenUsage = { inputTokens: 1000, outputTokens: 100, cacheReadTokens: 0, cacheWriteTokens: 0 };
const unknownBook: PriceBook = { prices: () => undefined };

describe('createCostCalculator', () => {
  it('prices with the bundled data by default', () => {
    const logger = recordingLogger();
    const calculator = createCostCalculator({ logger });
    // genai-prices 0.1.8, entry regional.anthropic.claude-3-5-sonnet-20240620-v1:0: 3 and 15 USD per million tokens.
    expect(calculator.cost({ modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0', region: 'us-east-1' }, usage)).toBe(0.0045);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('costs null for an unknown model, never 0, and warns once per model however many calls', () => {
    const logger = recordingLogger();
    const calculator = createCostCalculator({ logger, priceBook: unknownBook });
    for (let i = 0; i < 1000; i += 1) {
      expect(calculator.cost({ modelId: 'cohere.command-r-v1:0', region: 'us-east-1' }, usage)).toBeNull();
      expect(calculator.cost({ modelId: 'cohere.command-r-v1:0', region: 'us-east-1' }, { ...usage, inputTokens: 0, outputTokens: 0 })).toBeNull();
    }
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith({ modelId: 'cohere.command-r-v1:0' }, expect.stringContaining('no price known'));
    calculator.cost({ modelId: 'ai21.jamba-1-5-large-v1:0', region: 'us-east-1' }, usage);
    expect(logger.warn).toHaveBeenCalledTimes(2);
  });

  it('costs null for an application inference profile ARN without prices in model_info, with them in model_info priced', () => {
    const logger = recordingLogger();
    const calculator = createCostCalculator({ logger });
    const modelId = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6';
    expect(calculator.cost({ modelId, region: 'us-east-1' }, usage)).toBeNull();
    expect(logger.warn).toHaveBeenCalledWith({ modelId }, expect.any(String));
    const modelInfo = { input_cost_per_token: 3e-6, output_cost_per_token: 15e-6 };
    expect(calculator.cost({ modelId, region: 'us-east-1', modelInfo }, usage)).toBe(0.0045);
  });

  it('costs null and warns once when some tokens have no price', () => {
    const logger = recordingLogger();
    const calculator = createCostCalculator({ logger });
    // genai-prices 0.1.8, entry amazon.nova-lite-v1:0: no cache write price.
    const nova = { modelId: 'us.amazon.nova-lite-v1:0', region: 'us-east-1' };
    const writing = { ...usage, cacheWriteTokens: 500 };
    expect(calculator.cost(nova, writing)).toBeNull();
    expect(calculator.cost(nova, writing)).toBeNull();
    expect(calculator.cost(nova, usage)).toBe(0.000084); // 1000 × 0.06e-6 + 100 × 0.24e-6
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith({ modelId: nova.modelId, unpriced: ['cacheWrite'] }, expect.stringContaining('some tokens'));
  });

  it('keeps its memory of warnings bounded, and says when it stops warning', () => {
    const logger = recordingLogger();
    const calculator = createCostCalculator({ logger, priceBook: unknownBook });
    for (let i = 0; i < 1500; i += 1) calculator.cost({ modelId: `raw.model-${i}`, region: 'us-east-1' }, usage);
    expect(logger.warn).toHaveBeenCalledTimes(1001);
    expect(logger.warn).toHaveBeenLastCalledWith({ limit: 1000 }, expect.stringContaining('no more warnings'));
  });
});
