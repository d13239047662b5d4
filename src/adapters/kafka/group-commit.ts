/**
 * OffsetCommit for a group member, sent directly rather than through the client's `commit`. On a
 * generation or membership error the client's `commit` rejoins the group and commits again; our
 * rejoin runs the member's revoke handler first, and that handler commits — a cycle that would
 * deadlock, and a re-commit under the new generation could overwrite the progress of a partition's
 * new owner. Here such a commit is simply not made: `commitOffset` resolves false.
 */
import { type Consumer, kGetApi } from '@platformatic/kafka';
import { hasApiError, toVigilError } from './client.ts';

/** The slice of the member's client this file calls. */
type MemberClient = Pick<
  Consumer,
  'groupId' | 'generationId' | 'memberId' | 'groupInstanceId' | 'findGroupCoordinator' | 'connectToBrokers'
> & { [kGetApi]: Consumer[typeof kGetApi] };

type CommitApi = {
  async(
    connection: unknown,
    groupId: string,
    generationId: number,
    memberId: string,
    groupInstanceId: string | null,
    topics: {
      name: string;
      partitions: {
        partitionIndex: number;
        committedOffset: bigint;
        committedLeaderEpoch: number;
        committedMetadata: null;
      }[];
    }[],
  ): Promise<unknown>;
};

/** Errors that mean "this member may no longer commit for its old assignment". */
const STALE_MEMBER = [
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'REBALANCE_IN_PROGRESS',
  'FENCED_INSTANCE_ID',
];

/**
 * Commits `offset` (the next offset to read) for `topic`/`partition` under the member's current
 * generation. Resolves true when the broker stored it, false when the member's generation is no
 * longer current; fails with VIGIL_ERR_UNAVAILABLE when the coordinator cannot be reached.
 */
export async function commitOffset(
  member: MemberClient,
  topic: string,
  partition: number,
  offset: number,
): Promise<boolean> {
  if (member.memberId === null) return false;
  try {
    const coordinator = await member.findGroupCoordinator();
    const connection = (await member.connectToBrokers([coordinator])).get(coordinator);
    if (connection === undefined) throw new Error(`no connection to coordinator ${coordinator}`);
    const api = await new Promise<CommitApi>((resolve, reject) =>
      member[kGetApi]('OffsetCommit', (err, found) =>
        err ? reject(err) : resolve(found as unknown as CommitApi),
      ),
    );
    await api.async(
      connection,
      member.groupId,
      member.generationId,
      member.memberId,
      member.groupInstanceId,
      [
        {
          name: topic,
          partitions: [
            {
              partitionIndex: partition,
              committedOffset: BigInt(offset),
              committedLeaderEpoch: -1,
              committedMetadata: null,
            },
          ],
        },
      ],
    );
    return true;
  } catch (err) {
    if (STALE_MEMBER.some((id) => hasApiError(err, id))) return false;
    throw toVigilError(err, `commit ${topic}/${partition} at ${offset}`);
  }
}
