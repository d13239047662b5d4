/**
 * CAD OSE's symbolic sequence memory (detectors.md §2.3–2.4). It learns contexts: pairs of a
 * "left" fact set seen at the previous step (sensor facts plus active neurons) and a "right" fact
 * set seen now. Each step returns the raw anomaly value (1 − v1 + v2)/2, where v1 is the share of
 * fully matched left contexts confirmed now and v2 the share of potential contexts that are new.
 *
 * `step(facts, true)` learns; `step(facts, false)` computes the same raw value and changes nothing
 * that outlives the step (it recomputes only the per-step crossing of the right side), which is
 * how the detector's `score` stays free of learning.
 */
import { compareHash, EMPTY, PyIntDict, pyTupleHash } from './py-compat.ts';

const MAX_LEFT = 7;
const MAX_ACTIVE_NEURONS = 15;
const NEURON_BASE = 2 ** 31;

/** One side's semi-contexts: fact tuples, an inverted index, and the per-step crossing. */
class Side {
  readonly facts: number[][] = [];
  readonly hashHi: number[] = [];
  readonly hashLo: number[] = [];
  readonly byKey = new Map<string, number>();
  readonly index = new Map<number, number[]>();
  /** Per semi-context: how many of its facts the last crossing matched (0 when not crossed). */
  count = new Int32Array(64);
  /** Ids with a non-zero count, in creation order. */
  crossed: Int32Array = new Int32Array(0);
  /** The facts of the last crossing (sorted), to rebuild a semi-context's matched facts on demand. */
  crossing: readonly number[] = [];
  #scratch = new Int32Array(64);

  find(key: string): number | undefined {
    return this.byKey.get(key);
  }

  findOrCreate(facts: readonly number[], key = facts.join(',')): number {
    let id = this.byKey.get(key);
    if (id !== undefined) return id;
    id = this.facts.length;
    this.byKey.set(key, id);
    this.facts.push(facts.slice());
    const [hi, lo] = pyTupleHash(facts);
    this.hashHi.push(hi);
    this.hashLo.push(lo);
    if (id === this.count.length) {
      const c = new Int32Array(id * 2);
      c.set(this.count);
      this.count = c;
      this.#scratch = new Int32Array(id * 2);
    }
    for (const f of facts) {
      const list = this.index.get(f);
      if (list) list.push(id);
      else this.index.set(f, [id]);
    }
    return id;
  }

  /** Matches `facts` (sorted) against every semi-context. */
  cross(facts: readonly number[]): void {
    const count = this.count;
    for (const id of this.crossed) count[id] = 0;
    const touched = this.#scratch;
    let n = 0;
    for (const f of facts) {
      const list = this.index.get(f);
      if (!list) continue;
      for (const id of list) if (count[id]++ === 0) touched[n++] = id;
    }
    this.crossed = touched.slice(0, n).sort();
    this.crossing = facts;
  }

  /** The facts of `id` the last crossing matched, in order (CAD's `matched` list). */
  matched(id: number): number[] {
    // Both lists are sorted: a merge.
    const facts = this.facts[id]!;
    const crossing = this.crossing;
    const out: number[] = [];
    let j = 0;
    for (const f of facts) {
      while (j < crossing.length && crossing[j]! < f) j++;
      if (j < crossing.length && crossing[j] === f) out.push(f);
    }
    return out;
  }
}

/** A (left facts, right facts) pair with its tuple keys. */
interface Pair {
  left: readonly number[];
  right: readonly number[];
  leftKey: string;
  rightKey: string;
}

function matchedWithKey(side: Side, id: number): [number[], string] {
  const m = side.matched(id);
  return [m, m.join(',')];
}

export interface ContextMemoryData {
  left: number[][];
  right: number[][];
  ctxCount: number[];
  ctxZero: number[];
  ctxLeft: number[];
  ctxRight: number[];
  leftGroup: number[];
}

export class ContextMemory {
  readonly #left = new Side();
  readonly #right = new Side();
  readonly #maps: PyIntDict[] = [];
  readonly #ctxCount: number[] = [];
  readonly #ctxZero: number[] = [];
  readonly #ctxLeft: number[] = [];
  readonly #ctxRight: number[] = [];
  #leftGroup: number[] = [];
  /** The zero-level context created this step; "none" behaves as id 0 (a Python False == 0 quirk). */
  #newId = 0;

  constructor(data?: ContextMemoryData) {
    if (data) this.#restore(data);
  }

  get contexts(): number {
    return this.#ctxCount.length;
  }

  /** One step on the sorted sensor facts; returns the raw anomaly value. Learns when `commit`. */
  step(cur: number[], commit: boolean): number {
    const left = this.#left;
    const right = this.#right;
    const leftGroup = this.#leftGroup;
    const uniq = new Set<string>();
    let newFlag = false;
    /** In a dry run, the existing context that getOrCreate would have flagged zero-level. */
    let zExisting = -1;
    if (leftGroup.length > 0 && cur.length > 0) {
      const z: Pair = { left: leftGroup, right: cur, leftKey: leftGroup.join(','), rightKey: cur.join(',') };
      uniq.add(`${z.leftKey}|${z.rightKey}`);
      if (commit) {
        newFlag = this.#getOrCreateZero(z);
      } else {
        zExisting = this.#lookup(z);
        newFlag = zExisting < 0;
      }
    }
    right.cross(cur);
    // A dry run creates nothing, so its would-be new context is in no map and nothing is skipped.
    const skip = commit ? this.#newId : newFlag ? -1 : 0;
    let nSel = 0;
    const active: number[] = [];
    const pot: Pair[] = [];
    // Matched fact lists (and their keys) of the semi-contexts met this step, built once each.
    const rMatched = new Map<number, [number[], string]>();
    let lMatched: [number[], string] | null = null;
    const addPot = (l: number, r: number): void => {
      lMatched ??= matchedWithKey(left, l);
      let rm = rMatched.get(r);
      if (rm === undefined) {
        rm = matchedWithKey(right, r);
        rMatched.set(r, rm);
      }
      const key = `${lMatched[1]}|${rm[1]}`;
      // Duplicates would only find the context the first one made; keeping them out keeps
      // creation order and makes the dry run count the same way.
      if (uniq.has(key)) return;
      uniq.add(key);
      pot.push({ left: lMatched[0], right: rm[0], leftKey: lMatched[1], rightKey: rm[1] });
    };
    // Per crossed right semi-context: 1 partly matched, 2 fully matched (0: not crossed).
    const rState = this.#rState(right);
    const lCounts = left.count;
    const ctxZero = this.#ctxZero;
    const ctxCount = this.#ctxCount;
    for (const l of left.crossed) {
      const lCount = lCounts[l]!;
      const lFull = lCount === left.facts[l]!.length;
      const potOk = newFlag && lCount <= MAX_LEFT;
      // A partly matched left side only ever proposes potential contexts.
      if (!lFull && !potOk) continue;
      lMatched = null;
      const map = this.#maps[l]!;
      const keys = map.keys;
      const values = map.values;
      for (let i = 0; i < keys.length; i++) {
        const r = keys[i]!;
        if (r === EMPTY) continue;
        const c = values[i]!;
        if (c === skip) continue;
        const st = rState[r]!;
        if (lFull) {
          nSel++;
          if (st === 2) {
            if (commit) ctxCount[c]++;
            active.push(c);
          } else if (st === 1 && potOk && (ctxZero[c] === 1 || c === zExisting)) {
            addPot(l, r);
          }
        } else if (st !== 0 && (ctxZero[c] === 1 || c === zExisting)) {
          addPot(l, r);
        }
      }
    }
    this.#newId = 0;
    const v1 = nSel === 0 ? 0 : active.length / nSel;
    let nNew = 0;
    if (commit) {
      this.#leftGroup = this.#nextLeftGroup(cur, active);
      for (const p of pot) if (this.#getOrCreate(p)) nNew++;
      left.cross(this.#leftGroup);
    } else {
      for (const p of pot) if (this.#lookup(p) < 0) nNew++;
    }
    if (newFlag) nNew++;
    const v2 = newFlag && uniq.size > 0 ? nNew / uniq.size : 0;
    return (1 - v1 + v2) / 2;
  }

  toJSON(): ContextMemoryData {
    return {
      left: this.#left.facts.map((f) => f.slice()),
      right: this.#right.facts.map((f) => f.slice()),
      ctxCount: [...this.#ctxCount],
      ctxZero: [...this.#ctxZero],
      ctxLeft: [...this.#ctxLeft],
      ctxRight: [...this.#ctxRight],
      leftGroup: [...this.#leftGroup],
    };
  }

  #rStates = new Uint8Array(64);

  /** Match states of the right side's last crossing, by semi-context id (scratch, reused). */
  #rState(right: Side): Uint8Array {
    const n = right.facts.length;
    if (this.#rStates.length < n) this.#rStates = new Uint8Array(n * 2);
    const st = this.#rStates;
    st.fill(0, 0, n);
    for (const r of right.crossed) st[r] = right.count[r] === right.facts[r]!.length ? 2 : 1;
    return st;
  }

  /** Sensor facts plus the ids of the 15 most active contexts (ties by the tuple hashes). */
  #nextLeftGroup(cur: number[], active: number[]): number[] {
    const count = this.#ctxCount;
    const lh = this.#left;
    const rh = this.#right;
    const cl = this.#ctxLeft;
    const cr = this.#ctxRight;
    active.sort((a, b) => {
      const d = count[a]! - count[b]!;
      if (d !== 0) return d;
      const x = compareHash(lh.hashHi[cl[a]!]!, lh.hashLo[cl[a]!]!, lh.hashHi[cl[b]!]!, lh.hashLo[cl[b]!]!);
      if (x !== 0) return x;
      return compareHash(rh.hashHi[cr[a]!]!, rh.hashLo[cr[a]!]!, rh.hashHi[cr[b]!]!, rh.hashLo[cr[b]!]!);
    });
    const group = cur.slice();
    for (let k = Math.max(0, active.length - MAX_ACTIVE_NEURONS); k < active.length; k++) {
      group.push(NEURON_BASE + active[k]!);
    }
    return group.sort((a, b) => a - b);
  }

  /** The context id of a pair, or -1. */
  #lookup(p: Pair): number {
    const l = this.#left.find(p.leftKey);
    const r = this.#right.find(p.rightKey);
    if (l === undefined || r === undefined) return -1;
    return this.#maps[l]!.get(r) ?? -1;
  }

  /** getOrCreate with zeroLevel: true when the context is new (and remembered as `newId`). */
  #getOrCreateZero(p: Pair): boolean {
    const c = this.#lookup(p);
    if (c >= 0) {
      this.#ctxZero[c] = 1;
      return false;
    }
    this.#newId = this.#create(p, 1);
    return true;
  }

  /** getOrCreate without zeroLevel: true when the context is new. */
  #getOrCreate(p: Pair): boolean {
    if (this.#lookup(p) >= 0) return false;
    this.#create(p, 0);
    return true;
  }

  /** Creates the context with its semi-contexts as needed. */
  #create(p: Pair, zero: number): number {
    const l = this.#left.findOrCreate(p.left, p.leftKey);
    if (l === this.#maps.length) this.#maps.push(new PyIntDict());
    const r = this.#right.findOrCreate(p.right, p.rightKey);
    const id = this.#ctxCount.length;
    this.#ctxCount.push(0);
    this.#ctxZero.push(zero);
    this.#ctxLeft.push(l);
    this.#ctxRight.push(r);
    this.#maps[l]!.set(r, id);
    return id;
  }

  #restore(data: ContextMemoryData): void {
    for (const f of data.left) this.#left.findOrCreate(f);
    for (const f of data.right) this.#right.findOrCreate(f);
    for (let l = 0; l < data.left.length; l++) this.#maps.push(new PyIntDict());
    // Loops, not spreads: a spread of 10⁵ arguments overflows the stack.
    for (let c = 0; c < data.ctxCount.length; c++) {
      this.#ctxCount.push(data.ctxCount[c]!);
      this.#ctxZero.push(data.ctxZero[c]!);
      this.#ctxLeft.push(data.ctxLeft[c]!);
      this.#ctxRight.push(data.ctxRight[c]!);
      // Re-inserting in creation order rebuilds each dict's exact slot layout (and so its order).
      this.#maps[data.ctxLeft[c]!]!.set(data.ctxRight[c]!, c);
    }
    this.#leftGroup = [...data.leftGroup];
    // The left crossing is a function of the left group; the right one is rebuilt every step.
    this.#left.cross(this.#leftGroup);
  }
}
