// When each neighbor entered its session state, and when each stale period
// ends: what /status and the status page show beside the RIB, which keeps no
// time. Pure: times come in as the daemon's clock readings.

export class NeighborTimes {
  private readonly since = new Map<string, { state: string; at: number }>();
  /** `<neighbor> <period>` → when its grace ends. */
  private readonly graceEnds = new Map<string, number>();

  /** A state message: a repeat of the same state keeps the first time. */
  state(neighbor: string, state: string, at: number): void {
    if (this.since.get(neighbor)?.state !== state) this.since.set(neighbor, { state, at });
  }

  sinceOf(neighbor: string): number | null {
    return this.since.get(neighbor)?.at ?? null;
  }

  staleStarted(neighbor: string, period: number, endsAt: number): void {
    this.graceEnds.set(`${neighbor} ${period}`, endsAt);
  }

  staleEnded(neighbor: string, period: number): void {
    this.graceEnds.delete(`${neighbor} ${period}`);
  }

  /** When stale period `period` of `neighbor` ends (null: unknown, e.g. no timer armed). */
  graceEnd(neighbor: string, period: number): number | null {
    return this.graceEnds.get(`${neighbor} ${period}`) ?? null;
  }
}
