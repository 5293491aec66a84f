// Whether ExaBGP answers commands (exabgp.api.ack), learnt from what it does
// rather than trusted to the `ack` setting alone. Pure; the channel asks it.
//
// - Waiting (ack: true) and the very first command gets no answer within
//   `first` (ExaBGP answers in milliseconds): ExaBGP runs with
//   exabgp.api.ack=false. Waiting on would cost every command the full
//   timeout; commands are written without waiting from then on.
// - Not waiting (ack: false, or found off) and answers come: once every
//   command written so was answered (an answer cannot be matched to one of
//   several commands written at once), commands wait for their answers again.
//   A first answer that was merely slow is corrected so too.

/** What ExaBGP was found to do, when it differs from what was assumed. */
export interface AcksLearnt {
  readonly acks: boolean;
  /** silence: the first command got no answer in `waitedMs`; answers: they came while not waited for. */
  readonly from: "silence" | "answers";
  readonly waitedMs?: number;
}

export class AckDetector {
  /** ExaBGP has answered at least once. */
  private answered = false;
  /** Commands written without waiting, not answered yet. */
  private unanswered = 0;
  private stopped = false;
  private readonly news: AcksLearnt[] = [];

  constructor(private readonly timeouts: { readonly first: number; readonly usual: number }) {}

  /** How long the command in flight waits for its answer. */
  timeout(): number {
    return this.answered ? this.timeouts.usual : this.timeouts.first;
  }

  /** The command waited for got no answer in `waitedMs`: true when acks are now taken as off. */
  overdue(waitedMs: number): boolean {
    if (this.answered || this.stopped) return false;
    this.unanswered = 1;
    this.news.push({ acks: false, from: "silence", waitedMs });
    return true;
  }

  /** `n` commands were written without waiting. */
  wrote(n: number): void {
    this.unanswered += n;
  }

  /** An answer came (`waiting`: to the command in flight). True when commands should wait from now on. */
  answer(waiting: boolean): boolean {
    this.answered = true;
    if (waiting || this.stopped) return false;
    this.unanswered = Math.max(0, this.unanswered - 1);
    if (this.unanswered > 0) return false;
    this.news.push({ acks: true, from: "answers" });
    return true;
  }

  /** ExaBGP is going away: never wait again, whatever comes. */
  stop(): void {
    this.stopped = true;
  }

  /** What was learnt since the last call. */
  take(): AcksLearnt[] {
    return this.news.splice(0);
  }
}
