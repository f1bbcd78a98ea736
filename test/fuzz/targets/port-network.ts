/**
 * The `Network` port as a fuzzing peer sees it from the other side: it keeps the request handlers
 * and pipe acceptors a component registers, and lets the fuzzer call them as if a peer had sent
 * the bytes, with the limits the libp2p adapter enforces before a handler runs (request size,
 * message size). The cheapest real path into a `ChannelManager`: everything behind the port is
 * the node's own code.
 */
import type {
  DirectRequest, HandleOptions, HandlePipeOptions, MessagePipe, Network, NetworkStats, PipeHandlers, RequestHandler
} from '../../../node/network/index.js'

/** The defaults of the libp2p adapter (`network.ts`). */
const DEFAULT_MAX_BYTES = 65_536

function unsupported (what: string): never {
  throw new Error(`the fuzzing port does not ${what}`)
}

/** A pipe a fuzzing peer opened: what the component sends back is collected by request id. */
export class FuzzPipe implements MessagePipe {
  open = true
  readonly sent: Uint8Array[] = []
  private waiters: Array<() => void> = []
  handlers?: PipeHandlers

  constructor (readonly remotePeer: string, private readonly maxMessageBytes: number) {}

  send (data: Uint8Array): void {
    if (!this.open) throw new Error('pipe closed')
    if (data.byteLength > this.maxMessageBytes) throw new Error('message too large')
    this.sent.push(data)
    this.wake()
  }

  close (): void {
    if (!this.open) return
    this.open = false
    this.handlers?.onClose?.()
    this.wake()
  }

  private wake (): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  /** Waits until something is sent or the pipe closes (or the signal aborts). */
  async changed (signal: AbortSignal): Promise<void> {
    if (signal.aborted) return
    await new Promise<void>(resolve => {
      const done = (): void => { signal.removeEventListener('abort', done); resolve() }
      this.waiters.push(done)
      signal.addEventListener('abort', done, { once: true })
    })
  }
}

/** A `Network` whose only peer is the fuzzer. */
export class PortNetwork implements Network {
  private readonly handlers = new Map<string, { handler: RequestHandler, maxRequestBytes: number }>()
  private readonly acceptors = new Map<string, { accept: (pipe: MessagePipe) => PipeHandlers, maxMessageBytes: number }>()

  constructor (readonly peerId: string) {}

  /** Delivers one request as from `from`; `undefined` when the adapter would refuse it unread. */
  async deliver (from: string, protocol: string, data: Uint8Array, signal: AbortSignal): Promise<{ answer?: Uint8Array, refused?: string }> {
    const h = this.handlers.get(protocol)
    if (h == null) return { refused: 'protocol not served' }
    if (data.byteLength > h.maxRequestBytes) return { refused: 'oversized' }
    const request: DirectRequest = { from, protocol, data }
    const answer = await h.handler(request, { signal })
    return answer == null ? {} : { answer }
  }

  /** Opens a pipe as from `from`; undefined when the protocol is not served. */
  openPipeFrom (from: string, protocol: string): FuzzPipe | undefined {
    const a = this.acceptors.get(protocol)
    if (a == null) return undefined
    const pipe = new FuzzPipe(from, a.maxMessageBytes)
    pipe.handlers = a.accept(pipe)
    return pipe
  }

  maxPipeMessageBytes (protocol: string): number {
    return this.acceptors.get(protocol)?.maxMessageBytes ?? DEFAULT_MAX_BYTES
  }

  addresses (): string[] { return [] }
  async start (): Promise<void> {}
  async stop (): Promise<void> {}
  subscribe (): void {}
  unsubscribe (): void {}
  topics (): string[] { return [] }
  topicPeers (): string[] { return [] }
  async publish (): Promise<{ recipients: number }> { return { recipients: 0 } }
  onMessage (): () => void { return () => {} }
  setValidator (): void {}

  async handle (protocol: string, handler: RequestHandler, options?: HandleOptions): Promise<void> {
    this.handlers.set(protocol, { handler, maxRequestBytes: options?.maxRequestBytes ?? DEFAULT_MAX_BYTES })
  }

  async handlePipe (protocol: string, accept: (pipe: MessagePipe) => PipeHandlers, options?: HandlePipeOptions): Promise<void> {
    this.acceptors.set(protocol, { accept, maxMessageBytes: options?.maxMessageBytes ?? DEFAULT_MAX_BYTES })
  }

  async unhandle (protocol: string): Promise<void> {
    this.handlers.delete(protocol)
    this.acceptors.delete(protocol)
  }

  async request (): Promise<Uint8Array> { unsupported('send requests') }
  async provide (): Promise<void> { unsupported('provide') }
  // eslint-disable-next-line require-yield
  async * findProviders (): AsyncIterable<never> { unsupported('find providers') }
  async dial (): Promise<void> { unsupported('dial') }
  async hangUp (): Promise<void> {}
  connectedPeers (): string[] { return [] }

  stats (): NetworkStats {
    const zero = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 }
    return { gossip: { ...zero, rejected: 0, ignored: 0 }, direct: { ...zero, failedRequests: 0, failedHandlers: 0 } }
  }
}
