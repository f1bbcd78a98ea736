/**
 * Sends to peers in order, one chain per peer: a rider must see the quote before the confirm,
 * the pickup before the dropoff, and the trip record after the dropoff's update.
 */

/** One promise chain per peer; a peer's chain is forgotten once it has run out. */
export class PeerChains {
  private readonly chains = new Map<string, Promise<unknown>>()

  /** Runs `task` after every task queued for `peer` before it. */
  enqueue (peer: string, task: () => Promise<void>): void {
    const chain = (this.chains.get(peer) ?? Promise.resolve()).then(task)
    this.chains.set(peer, chain)
    void chain.finally(() => {
      if (this.chains.get(peer) === chain) {
        this.chains.delete(peer)
      }
    })
  }
}
