/**
 * A driver's binding of its peer id to its payment address, carried on every quote it sends:
 * signed at start and again in the background once it is half its lifetime old, so a quote never
 * waits for a signature and never carries an expired one.
 */
import { ANY_RIDE, DEFAULT_BINDING_MAX_AGE_MS, signBinding } from '../../protocol/index.js'
import type { HitchNode } from '../hitch-node.js'
import type { IdentityBinding } from '../../protocol/index.js'
import type { Logger } from '@libp2p/interface'

/** Keeps a fresh binding of the node's peer id to its payment address. */
export class OwnBinding {
  private readonly node: Pick<HitchNode, 'peerId' | 'identity' | 'clock'>
  private readonly refreshAfterMs: number
  private readonly log: Logger
  private current: IdentityBinding | undefined
  private signing: Promise<void> | undefined

  /**
   * @param refreshAfterMs - re-sign once the binding is this old, clock ms
   * @default DEFAULT_BINDING_MAX_AGE_MS / 2
   */
  constructor (node: Pick<HitchNode, 'peerId' | 'identity' | 'clock'>, log: Logger, refreshAfterMs = DEFAULT_BINDING_MAX_AGE_MS / 2) {
    this.node = node
    this.log = log
    this.refreshAfterMs = refreshAfterMs
  }

  /** Signs the first binding (idempotent: resolves once one exists). */
  async start (): Promise<void> {
    if (this.current == null) await this.refresh()
  }

  /** The current binding (undefined before `start`); starts a re-signing when it is old. */
  get (): IdentityBinding | undefined {
    const current = this.current
    if (current != null && this.node.clock.now() - current.issuedAt >= this.refreshAfterMs) {
      void this.refresh().catch(err => { this.log.error('re-signing the identity binding failed - %e', err) })
    }
    return current
  }

  private async refresh (): Promise<void> {
    this.signing ??= (async () => {
      try {
        this.current = await signBinding({ peerId: this.node.peerId, requestId: ANY_RIDE, issuedAt: Math.floor(this.node.clock.now()) }, this.node.identity.ethPrivateKeyHex)
      } finally {
        this.signing = undefined
      }
    })()
    await this.signing
  }
}
