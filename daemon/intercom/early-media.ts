/**
 * Early-media arbitration for a parallel call plan: the first leg whose 183 carries usable SDP
 * gets the door's speaker (and stops the ringback); the others stay silent until one answers.
 */
export class EarlyMedia<L> {
  private holder: L | undefined;

  /** may `leg` play early media? true for the first claimant and again for the same leg */
  claim(leg: L): boolean {
    if (this.holder !== undefined && this.holder !== leg) return false;
    this.holder = leg;
    return true;
  }

  get leg(): L | undefined {
    return this.holder;
  }
}
