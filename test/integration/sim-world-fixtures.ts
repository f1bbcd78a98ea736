import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { createHash } from 'node:crypto'
import { createHitchPeer, libsecp256k1Signatures } from '../../node/index.js'
import { identityFromKey } from '../../node/identity/index.js'
import { VerifyCache } from '../../protocol/index.js'
import { EventScheduler, SimulatedWorld, VirtualClock } from '../../sim/index.js'
import { seededRandomSource } from '../../sim/random.js'
import type { Driver, DriverInit, DriverPeer, HitchNode, HitchPeer, HitchPeerInit, Rider, RiderInit, RiderPeer } from '../../node/index.js'
import type { RoutedMap } from '../../node/map/index.js'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Secp256k1PrivateKey } from '@libp2p/interface'

/** Clock time at simulated time 0 (a fixed instant: runs repeat exactly). */
export const WORLD_EPOCH_MS = Date.UTC(2024, 0, 1)

/** A deterministic secp256k1 key from a label (tests only). */
export function seededKey (label: string): Secp256k1PrivateKey {
  const raw = createHash('sha256').update(`hitch-test-key/${label}`).digest()
  raw[0] = (raw[0] & 0x7f) | 0x01
  return privateKeyFromRaw(new Uint8Array(raw)) as Secp256k1PrivateKey
}

/**
 * Hitch nodes on the simulator's discrete-event network with one virtual clock: the real
 * roles, signatures and validation, deterministic and independent of how fast the host is.
 * Time moves only in {@link run} / {@link until}.
 */
export class SimWorld {
  readonly scheduler = new EventScheduler()
  readonly world: SimulatedWorld
  readonly clock: VirtualClock
  readonly map: RoutedMap
  readonly peers: HitchPeer[] = []
  private readonly nodesByRole = new Map<Driver | Rider, HitchNode>()
  private readonly seed: number
  private readonly verifyCache = new VerifyCache({ maxEntries: 65_536 })
  private readonly signatures = libsecp256k1Signatures()

  constructor (map: RoutedMap, seed = 1) {
    this.map = map
    this.seed = seed
    this.world = new SimulatedWorld({ scheduler: this.scheduler, seed })
    this.clock = new VirtualClock(this.scheduler, { epochMs: WORLD_EPOCH_MS })
  }

  /** A started node named `name` (its key and random source derive from the name and the seed). */
  async node (name: string, extra: Partial<HitchPeerInit> = {}): Promise<HitchNode> {
    return (await this.peer(name, extra)).node
  }

  /**
   * A peer (`createHitchPeer`) named `name`, its node started; its role, if any, is left for
   * the caller to start. Its key and random source derive from the name and the seed.
   */
  async peer<P extends HitchPeer> (name: string, init: Partial<HitchPeerInit> = {}): Promise<P> {
    const privateKey = init.privateKey ?? seededKey(`${this.seed}/${name}`)
    // a node may run under a peer key of its own (a rider's per-ride key): the network is its
    const peerId = typeof init.peerKey === 'object' ? peerIdFromPrivateKey(init.peerKey).toString() : identityFromKey(privateKey).peerId
    const network = this.world.createPeer({ peerId, logPrefix: name, clock: this.clock })
    const peer = await createHitchPeer({
      map: this.map,
      clock: this.clock,
      logPrefix: name,
      random: seededRandomSource(this.seed, name),
      verifyCache: this.verifyCache,
      signatures: this.signatures,
      ...init,
      privateKey,
      network
    })
    this.peers.push(peer)
    const role = peer.driver ?? peer.rider
    if (role != null) this.nodesByRole.set(role, peer.node)
    await peer.node.start()
    return peer as P
  }

  /** The node a role of this world runs on. */
  nodeOf (role: Driver | Rider): HitchNode {
    const node = this.nodesByRole.get(role)
    if (node == null) throw new Error('not a role of this world')
    return node
  }

  /** A driver named `name` on its own peer (not started). */
  async driver (name: string, init: DriverInit, extra: Partial<HitchPeerInit> = {}): Promise<Driver> {
    return (await this.peer<DriverPeer>(name, { ...extra, driver: init })).driver
  }

  /** A rider named `name` on its own peer (not started). */
  async rider (name: string, init: RiderInit = {}, extra: Partial<HitchPeerInit> = {}): Promise<Rider> {
    return (await this.peer<RiderPeer>(name, { ...extra, rider: init })).rider
  }

  /** Advances the clock by `ms`, running every event due meanwhile. */
  async run (ms: number): Promise<void> {
    await this.scheduler.runUntilAsync(this.scheduler.now() + ms)
  }

  /** Advances the clock in steps of `stepMs` until `done()` holds or `maxMs` have passed; returns `done()`. */
  async until (done: () => boolean, maxMs: number, stepMs = 100): Promise<boolean> {
    const end = this.scheduler.now() + maxMs
    while (!done() && this.scheduler.now() < end) {
      await this.scheduler.runUntilAsync(Math.min(end, this.scheduler.now() + stepMs))
    }
    return done()
  }

  /** Stops every node, keeping the scheduler turning while they wind down. */
  async stop (): Promise<void> {
    let done = false
    const stopping = Promise.allSettled(this.peers.map(async p => await p.stop())).finally(() => { done = true })
    while (!done) await this.scheduler.runUntilAsync(this.scheduler.now() + 1000)
    await stopping
  }
}
