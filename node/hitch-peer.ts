/**
 * The composition root of a whole Hitch peer. `createHitchPeer` assembles, from one set of
 * options, a node (identity, keys, store, clock, random source, map, network, logger, metrics:
 * `createHitchNode`), its chain client, its channel manager and payments, and its role, and the
 * peer starts them in that order and stops them in the reverse one. `hitch drive`, `hitch ride`,
 * `hitch channels`, both simulator modes, the benchmarks and the test fixtures build their peers
 * here, so a new service (a watchtower, a relay, reputation) is wired once.
 */
import { InvalidParametersError, NotStartedError } from '@libp2p/interface'
import { ChannelManager, CHANNEL_EVENT_NAMES } from './channel/index.js'
import { createHitchNode } from './hitch-node.js'
import { DriverPayments, RiderPayments } from './payments/index.js'
import { Driver, Rider, roleComponents } from './roles/index.js'
import type { HitchNode, HitchNodeInit } from './hitch-node.js'
import type { NodeIdentity } from './identity/index.js'
import type { DriverPaymentsInit, NodeChannelManagerInit, RiderPaymentsInit } from './payments/index.js'
import type { DriverInit, RiderInit } from './roles/index.js'
import { connectChain } from '../settlement/index.js'
import type { Chain, ConnectChainOptions } from '../settlement/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

/** What a {@link ChainConnector} is given besides the node's identity. */
export interface ChainConnectorOptions extends AbortOptions {
  /**
   * The node's `hitch:chain` logger (`node.logger('hitch:chain')`, prefixed with the node's
   * name like its other lines): the client's lines should go there, so that they name the node.
   */
  log?: Logger
}

/**
 * Connects the chain client a peer's channels settle on, for the node's payment key (its
 * `identity.ethPrivateKeyHex`), logging through `options.log`. The peer stops the client after
 * its channels.
 */
export type ChainConnector = (identity: NodeIdentity, options?: ChainConnectorOptions) => Promise<Chain>

/**
 * A {@link ChainConnector} for the Hitch chain at `url` (a dev chain's JSON-RPC URL, or a
 * public chain serving the adjudicator): the node's payment key signs there, and the client logs
 * through the node's logger unless `options.log` names another.
 */
export function chainAt (url: string, options: Omit<ConnectChainOptions, 'privateKeyHex'> = {}): ChainConnector {
  return async (identity, connect) => await connectChain(url, { ...options, privateKeyHex: identity.ethPrivateKeyHex, log: options.log ?? connect?.log })
}

/**
 * A node on 127.0.0.1 only, for peers that dial each other directly (benchmarks, crash tests,
 * a channel-only peer): TCP on a port the OS picks, no DHT, loopback addresses kept.
 */
export function loopbackNode (): Pick<HitchNodeInit, 'transport' | 'listen' | 'dht' | 'loopbackFriendly'> {
  return { transport: 'tcp', listen: ['/ip4/127.0.0.1/tcp/0'], dht: false, loopbackFriendly: true }
}

/** Options of {@link createHitchPeer}: the node's, and the services on it. */
export interface HitchPeerInit extends HitchNodeInit {
  /**
   * The chain the peer's payment channels settle on. With it the peer runs a channel manager
   * (serving the pay protocol, watching the chain) and, with a role, the role's payments.
   *
   * @default none: no channels, rides are not paid
   */
  chain?: ChainConnector
  /**
   * Options of the channel manager, less what the node provides (network, store, identity; the
   * clock defaults to the node's). Its `role` defaults to the peer's role.
   *
   * @default {}
   */
  channels?: NodeChannelManagerInit
  /** Options of the driver's payments, less the manager. @default {} */
  driverPayments?: Omit<DriverPaymentsInit, 'manager'>
  /** Options of the rider's payments, less the manager. @default {} */
  riderPayments?: Omit<RiderPaymentsInit, 'manager'>
  /** Run the driver role with these options. At most one of `driver` and `rider`. */
  driver?: DriverInit
  /** Run the rider role with these options. At most one of `driver` and `rider`. */
  rider?: RiderInit
}

/** A peer's assembled services. Start it once; stop it once (a stopped peer is not restarted). */
export interface HitchPeer {
  readonly node: HitchNode
  /** the chain client, when `chain` was given */
  readonly chain?: Chain
  /** the channel manager, when `chain` was given */
  readonly channels?: ChannelManager
  readonly driver?: Driver
  readonly rider?: Rider
  /** the role's payments, when `chain` and a role were given */
  readonly payments?: DriverPayments | RiderPayments
  /**
   * Starts what is not running yet: the node, the channel manager, the role. A caller that must
   * act between them (dial before the role announces) starts `node` and `channels` first.
   */
  start: (options?: AbortOptions) => Promise<void>
  /** Stops the role, the payments, the channel manager, the node and the chain client. Idempotent. */
  stop: (options?: AbortOptions) => Promise<void>
}

/** A peer running the driver role. */
export interface DriverPeer extends HitchPeer {
  readonly driver: Driver
  readonly payments?: DriverPayments
}

/** A peer running the rider role. */
export interface RiderPeer extends HitchPeer {
  readonly rider: Rider
  readonly payments?: RiderPayments
}

/**
 * Assembles a peer (not started): the node, then the chain client and channel manager when
 * `chain` is given, then the role and its payments. What was made is stopped again when a later
 * part fails.
 */
export async function createHitchPeer (init: HitchPeerInit & { driver: DriverInit }): Promise<DriverPeer>
export async function createHitchPeer (init: HitchPeerInit & { rider: RiderInit }): Promise<RiderPeer>
export async function createHitchPeer (init?: HitchPeerInit): Promise<HitchPeer>
export async function createHitchPeer (init: HitchPeerInit = {}): Promise<HitchPeer> {
  if (init.driver != null && init.rider != null) {
    throw new InvalidParametersError('a peer runs one role: pass driver or rider, not both')
  }
  const node = await createHitchNode(init)
  const parts = new Parts(node)
  try {
    if (init.chain != null) {
      parts.chain = await init.chain(node.identity, { log: node.logger('hitch:chain') })
      parts.channels = new ChannelManager({
        // its lines name the node as the node's own do
        ...(init.logPrefix != null ? { logPrefix: init.logPrefix } : {}),
        ...init.channels,
        role: init.channels?.role ?? (init.driver != null ? 'driver' : init.rider != null ? 'rider' : undefined),
        network: node.network,
        chain: parts.chain,
        store: node.store,
        identity: node.identity,
        clock: init.channels?.clock ?? node.clock
      })
    }
    const channels = parts.channels
    if (init.driver != null) {
      const payments = channels != null ? new DriverPayments({ log: node.logger('hitch:payments'), ...init.driverPayments, manager: channels }) : undefined
      parts.payments = payments
      parts.driver = new Driver(roleComponents(node, payments), init.driver)
    } else if (init.rider != null) {
      const payments = channels != null ? new RiderPayments({ ...init.riderPayments, manager: channels }) : undefined
      parts.payments = payments
      parts.rider = new Rider(roleComponents(node, payments), init.rider)
    }
  } catch (err) {
    await parts.stop().catch(() => {})
    throw err
  }
  return parts
}

class Parts implements HitchPeer {
  readonly node: HitchNode
  chain?: Chain
  channels?: ChannelManager
  driver?: Driver
  rider?: Rider
  payments?: DriverPayments | RiderPayments
  private readonly unbind: Array<() => void> = []
  private stopping?: Promise<void>

  constructor (node: HitchNode) {
    this.node = node
  }

  async start (options?: AbortOptions): Promise<void> {
    if (this.stopping != null) throw new NotStartedError('a stopped peer cannot be started again; create a new one')
    await this.node.start(options)
    // the manager serves the pay protocol: the node runs first
    await this.channels?.start(options)
    this.bindMetrics()
    await this.driver?.start(options)
    await this.rider?.start(options)
  }

  async stop (options?: AbortOptions): Promise<void> {
    this.stopping ??= this.stopAll(options)
    await this.stopping
  }

  private async stopAll (_options?: AbortOptions): Promise<void> {
    for (const off of this.unbind.splice(0)) off()
    await this.driver?.stop()
    await this.rider?.stop()
    if (this.payments instanceof DriverPayments) this.payments.stop()
    await this.channels?.stop()
    await this.node.stop()
    await this.chain?.stop()
  }

  /** Hitch's metrics, when the node measures: the role's, the payments' and the channels' counts. */
  private bindMetrics (): void {
    const metrics = this.node.metrics
    if (metrics == null || this.unbind.length > 0) return
    if (this.driver != null) this.unbind.push(metrics.bindDriver(this.driver))
    if (this.rider != null) this.unbind.push(metrics.bindRider(this.rider))
    if (this.payments != null) this.unbind.push(metrics.bindPayments(this.payments))
    if (this.channels != null) this.unbind.push(metrics.bindChannels(this.channels, CHANNEL_EVENT_NAMES))
  }
}
