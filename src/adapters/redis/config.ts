/**
 * How Vigil reaches a Redis Cluster. Only Redis Cluster is supported (scaled-out deployments run
 * one); any reachable nodes will do as seeds, the client discovers the rest.
 */
import { VigilError } from '../../core/errors.ts';

export interface RedisConfig {
  /** Seed nodes as `host:port` (any subset of the cluster's nodes). */
  nodes: string[];
  /**
   * Prepended to every key, to keep deployments (or test runs) sharing one cluster apart. It must
   * not contain `{` or `}`: a hash tag inside the prefix would put every key into one slot.
   */
  keyPrefix?: string;
  /**
   * How long one operation may keep retrying through connection loss, CLUSTERDOWN and failover
   * before it fails with VIGIL_ERR_UNAVAILABLE. Set it above the cluster's `cluster-node-timeout`
   * plus a few seconds of election, or a failover surfaces as errors. Default 10 000.
   */
  unavailableAfterMs?: number;
  /** Bound on one command's round trip to one node before it counts as lost. Default 2 000. */
  commandTimeoutMs?: number;
}

export const REDIS_DEFAULTS = { unavailableAfterMs: 10_000, commandTimeoutMs: 2_000 } as const;

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
