import { createRoundRobin } from '../../lib/balancer/round-robin';
import type { Balancer, Deployment } from '../../lib/types';
import { context, deployment, seeded } from './helpers';

const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((id) => deployment(id)) as [Deployment, Deployment, Deployment, Deployment];

/** The ids of one pick per list. */
function picks(balancer: Balancer, lists: readonly (readonly Deployment[])[], modelName = 'group'): string[] {
  return lists.map((list) => balancer.pick(list, context(modelName))?.id ?? 'none');
}

describe('round-robin', () => {
  it('rotates through the candidates in list order', () => {
    expect(picks(createRoundRobin(), Array(7).fill([a, b, c]))).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('keeps one rotation per group', () => {
    const balancer = createRoundRobin();
    const sequence = ['x', 'x', 'y', 'x', 'y', 'y', 'y'].map((group) => `${group}:${balancer.pick([a, b, c], context(group))?.id}`);
    expect(sequence).toEqual(['x:a', 'x:b', 'y:a', 'x:c', 'y:b', 'y:c', 'y:a']);
  });

  it('neither skips nor repeats when a deployment leaves the list and comes back', () => {
    const all = [a, b, c, d];
    const withoutB = [a, c, d];
    // b cools down after its turn: the rotation goes on with c, d, a; back, b takes the turn it missed, once.
    expect(picks(createRoundRobin(), [all, all, withoutB, withoutB, withoutB, all, all, all, all])).toEqual(['a', 'b', 'c', 'd', 'a', 'b', 'c', 'd', 'a']);
  });

  it('moves on to the next deployment when the router retries without the one that failed', () => {
    const balancer = createRoundRobin();
    expect(picks(balancer, [[a, b, c], [b, c], [a, b, c]])).toEqual(['a', 'b', 'c']);
  });

  it('stays fair however the list changes: no repeat while another is there, no wait longer than the others', () => {
    const all = [a, b, c, d];
    const random = seeded(7);
    const balancer = createRoundRobin();
    // Each pick sees a random subset of two or more, in list order, as the router's filtering produces.
    const lists = Array.from({ length: 5000 }, () => {
      const list = all.filter(() => random() < 0.75);
      return list.length >= 2 ? list : all;
    });
    const picked = picks(balancer, lists);
    for (let index = 1; index < picked.length; index++) {
      if ((lists[index] ?? []).some((candidate) => candidate.id === picked[index - 1])) {
        expect(picked[index]).not.toBe(picked[index - 1]);
      }
    }
    // A deployment in every list of a window as long as the number of deployments is picked in that window.
    for (let start = 0; start + all.length <= lists.length; start++) {
      const window = lists.slice(start, start + all.length);
      for (const { id } of all) {
        if (window.every((list) => list.some((candidate) => candidate.id === id))) {
          expect(picked.slice(start, start + all.length)).toContain(id);
        }
      }
    }
  });

  it('returns the only candidate, or none', () => {
    const balancer = createRoundRobin();
    expect(balancer.pick([b], context())).toBe(b);
    expect(balancer.pick([], context())).toBeUndefined();
  });
});
