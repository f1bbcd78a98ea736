/**
 * What the parts of one channel manager share: its ports, its settings, the engine every
 * channel step goes through, and the signer. The manager builds it once; each part takes the
 * fields it needs.
 */
import type { ChannelRole } from '../../protocol/channel/index.js'
import type { Turns } from './concurrency.js'
import type { ChannelStore } from './channel-store.js'
import type { ChannelEngine } from './engine.js'
import type { ChannelEventTarget } from './events.js'
import type { FaultInjector } from './fault-injection.js'
import type { GasReserve } from './gas-reserve.js'
import type { InboundGuard } from './inbound-guard.js'
import type { Lifecycle } from './lifecycle.js'
import type { ChannelIdentity } from './options.js'
import type { PayTransport } from './pay-transport.js'
import type { ChannelSigner } from './signer.js'
import type { Clock } from '../clock/index.js'
import type { OwnBinding } from '../identity/index.js'
import type { Network } from '../network/index.js'
import type { Chain } from '../../settlement/index.js'
import type { Logger } from '@libp2p/interface'

/** One channel manager's ports, settings and parts, as its parts see them. */
export interface ChannelContext {
  readonly network: Network
  readonly chain: Chain
  readonly store: ChannelStore
  readonly identity: ChannelIdentity
  /** rider: the binding of this node's peer id to its address, on every proposal */
  readonly binding: OwnBinding
  readonly clock: Clock
  /** the one side this node takes, when restricted to one */
  readonly role?: ChannelRole
  readonly events: ChannelEventTarget
  readonly faults: FaultInjector
  readonly log: Logger
  readonly lifecycle: Lifecycle
  readonly engine: ChannelEngine
  readonly signer: ChannelSigner
  /** one task per turn of the event loop, shared by our requests' answers and the peers' frames */
  readonly turns: Turns
  readonly transport: PayTransport
  readonly guard: InboundGuard
  readonly reserve: GasReserve
  /** rider: most proposals in flight per channel */
  readonly maxInFlight: number
  /** whether the chain is followed (and the gas reserve checked) */
  readonly watchEnabled: boolean
  /** between gas reserve checks, in ms of the clock (0: only after opens, top-ups, new channels) */
  readonly gasCheckIntervalMs: number
}
