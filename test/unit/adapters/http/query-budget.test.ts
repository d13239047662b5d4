import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { QueryBudget } from '../../../../src/adapters/http/query-budget.ts';

const request = (socket: { destroyed: boolean }) => ({ raw: { socket } }) as unknown as FastifyRequest;

function* items(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

describe('QueryBudget', () => {
  it('visits every item and stops where visit returns false', async () => {
    const seen: number[] = [];
    await new QueryBudget(request({ destroyed: false }), 10_000).scan(items(10_000), (i) => {
      seen.push(i);
      return i < 4_999;
    });
    expect(seen.length).toBe(5_000);
  });

  it('lets other work run between slices', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    let ticksSeenDuringScan = 0;
    await new QueryBudget(request({ destroyed: false }), 60_000).scan(items(100_000), () => {
      ticksSeenDuringScan = ticks;
      return true;
    });
    clearInterval(timer);
    expect(ticksSeenDuringScan).toBeGreaterThan(0);
  });

  it('throws VIGIL_ERR_QUERY_TIMEOUT once the budget is spent', async () => {
    const slow = () => {
      const until = performance.now() + 0.1; // 2,048 items of 0.1 ms: 200 ms, twice the budget
      while (performance.now() < until);
      return true;
    };
    await expect(
      new QueryBudget(request({ destroyed: false }), 100).scan(items(1e9), slow),
    ).rejects.toMatchObject({ code: 'VIGIL_ERR_QUERY_TIMEOUT', status: 503 });
  });

  it('stops once the client is gone', async () => {
    const socket = { destroyed: false };
    let visited = 0;
    const scan = new QueryBudget(request(socket), 60_000).scan(items(1e9), () => {
      visited++;
      if (visited === 10) socket.destroyed = true;
      return true;
    });
    await expect(scan).rejects.toMatchObject({ code: 'VIGIL_ERR_QUERY_TIMEOUT' });
    expect(visited).toBe(2048);
  });
});
