import { expect } from 'chai'
import { generatePrivateKey } from 'viem/accounts'
import { connectChain } from '../../../settlement/connect.js'
import { startDevChain } from '../../../settlement/dev-chain-server.js'
import { ETHER } from './helpers.js'
import { recordingLogger } from '../../fixtures/recording-logger.js'
import type { Chain } from '../../../settlement/index.js'

/** The key, as it could leak into a line: with or without its 0x, in either case. */
function expectNoKey (lines: readonly string[], keyHex: string): void {
  const bare = keyHex.replace(/^0x/, '').toLowerCase()
  for (const l of lines) expect(l.toLowerCase()).to.not.include(bare)
}

/**
 * A chain client logs through the logger it is given (a node's `hitch:chain`, so that a line of a
 * run of many nodes names its node), its adapter's lines in a scope below it; never its key.
 */
describe('settlement: a chain client\'s lines', function () {
  this.timeout(60_000)

  it('connectChain(\'embedded\') logs the EVM it starts and the channels it opens through the given logger', async () => {
    const lines: string[] = []
    const key = generatePrivateKey()
    const chain = await connectChain('embedded', { privateKeyHex: key, log: recordingLogger(lines, 'rider-3:hitch:chain') })
    try {
      const driver = '0x000000000000000000000000000000000000d1d1'
      const { channelId } = await chain.open(driver, ETHER / 1000n)
      expect(lines.some(l => l.startsWith('rider-3:hitch:chain:embedded embedded chain '))).to.equal(true, lines.join('\n'))
      expect(lines.some(l => l.startsWith(`rider-3:hitch:chain opened ${channelId} with ${driver}: `))).to.equal(true, lines.join('\n'))
      expectNoKey(lines, key)
    } finally {
      await chain.stop()
    }
  })

  it('an RpcChain logs its funding in its rpc scope and a failed watch poll through the given logger', async () => {
    const dev = await startDevChain({ port: 0, host: '127.0.0.1', challengePeriodS: 30 })
    const lines: string[] = []
    const key = generatePrivateKey()
    let chain: Chain | undefined
    try {
      chain = await connectChain(dev.url, { privateKeyHex: key, pollingIntervalMs: 20, log: recordingLogger(lines, 'driver-0:hitch:chain') })
      expect(lines).to.deep.equal([`driver-0:hitch:chain:rpc funded ${chain.address} from the dev chain`])
      const failed = new Promise<void>(resolve => { chain?.watch(() => {}, { pollIntervalMs: 20, onError: () => { resolve() } }) })
      await dev.stop()
      await failed
      expect(lines.some(l => l.startsWith('driver-0:hitch:chain:error watch poll failed: '))).to.equal(true, lines.join('\n'))
      expectNoKey(lines, key)
    } finally {
      await chain?.stop()
      await dev.stop()
    }
  })
})
