/**
 * How Vigil reaches a Redis Cluster. Only Redis Cluster is supported (scaled-out deployments run
 * one); any reachable nodes will do as seeds, the client discovers the rest.
 */
import { type Config, listOf, withDefaults } from '../../config/schema.ts';
import { VigilError } from '../../core/errors.ts';

type RedisSection = Config['redis'];

/**
 * The `redis` section of the config schema (src/config/schema.ts declares every key, its meaning
 * and its default); a key left out takes the schema's default. `nodes` (seed `host:port`s, any
 * subset of the cluster's nodes) may be the section's comma-separated string or a list.
 */
export type RedisConfig = Partial<Omit<RedisSection, 'nodes'>> & { nodes: string | readonly string[] };

export type ResolvedRedisConfig = Omit<RedisSection, 'nodes'> & { nodes: RedisNode[] };

/** Fills defaults and checks the config; a bad value fails with VIGIL_ERR_CONFIG naming its field. */
export function resolveRedisConfig(config: RedisConfig): ResolvedRedisConfig {
  const nodes = parseNodes(typeof config.nodes === 'string' ? listOf(config.nodes) : config.nodes);
  const r = { ...withDefaults('redis', { ...config, nodes: '' }), nodes };
  checkKeyPrefix(r.keyPrefix);
  return r;
}

export interface RedisNode {
  host: string;
  port: number;
}

/** Parses the seed list; each entry MUST be `host:port` (IPv6 hosts in brackets: `[::1]:6379`). */
export function parseNodes(nodes: readonly string[]): RedisNode[] {
  if (nodes.length === 0)
    throw new VigilError('VIGIL_ERR_CONFIG', 'redis.nodes: must list at least one node');
  return nodes.map((node, index) => {
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(node.trim());
    const port = m === null ? Number.NaN : Number(m[3]);
    if (m === null || port < 1 || port > 65535) {
      throw new VigilError('VIGIL_ERR_CONFIG', `redis.nodes[${index}]: must be host:port, got "${node}"`);
    }
    return { host: (m[1] ?? m[2])!, port };
  });
}

export function checkKeyPrefix(prefix: string): string {
  if (/[{}]/.test(prefix)) {
    throw new VigilError('VIGIL_ERR_CONFIG', `redis.keyPrefix: must not contain "{" or "}", got "${prefix}"`);
  }
  return prefix;
}
