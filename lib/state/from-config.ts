/** The shared store `router_settings` asks for: Redis when an address is set, none otherwise. */
import type { RouterSettings } from '../config/types';
import type { Logger } from '../types';
import { createRedisStore, type RedisStore } from './redis-store';

/** A Redis store for `redis_url`, or LiteLLM's `redis_host` / `redis_port` / `redis_password`; undefined without them. */
export function storeFromConfig(router: RouterSettings | undefined, logger: Logger, now: () => number): RedisStore | undefined {
  if (!router?.redis_url && !router?.redis_host) return undefined;
  return createRedisStore({
    url: router.redis_url,
    host: router.redis_host,
    port: router.redis_port,
    password: router.redis_password,
    failureMode: router.redis_failure_mode,
    logger,
    now,
  });
}
