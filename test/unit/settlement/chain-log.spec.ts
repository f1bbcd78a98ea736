import { createServer } from 'node:http'
import { expect } from 'chai'
import { generatePrivateKey } from 'viem/accounts'
import { connectChain } from '../../../settlement/connect.js'
import { RpcChain } from '../../../settlement/rpc-chain.js'
import { SettlementError } from '../../../settlement/errors.js'
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

  it('an RpcChain\'s errors show its endpoint by its origin only: a provider\'s URL carries its API key', async () => {
    // an endpoint that is an Ethereum node but not a Hitch dev chain (no hitch_info)
    const server = createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => { body += c.toString() })
      req.on('end', () => {
        const { id, method } = JSON.parse(body)
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(method === 'eth_chainId' ? { jsonrpc: '2.0', id, result: '0x7a69' } : { jsonrpc: '2.0', id, error: { code: -32601, message: 'method not found' } }))
      })
    })
    await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
    const { port } = server.address() as { port: number }
    const refusal = async (url: string): Promise<SettlementError> => {
      try {
        await RpcChain.connect(url, { privateKeyHex: generatePrivateKey(), timeoutMs: 2000 })
      } catch (err) {
        expect(err).to.be.instanceOf(SettlementError)
        return err as SettlementError
      }
      return expect.fail(`connected to ${url}`)
    }
    try {
      const noAdjudicator = await refusal(`http://user:pw-s3cret@127.0.0.1:${port}/v3/KEY-s3cret?key=s3cret`)
      expect(noAdjudicator.code).to.equal('NO_ADJUDICATOR')
      expect(noAdjudicator.message).to.equal(`no adjudicator address given and http://127.0.0.1:${port}/… is not a Hitch dev chain`)
      for (const url of [`ws://127.0.0.1:${port}/v3/KEY-s3cret`, 'KEY-s3cret']) {
        const refused = await refusal(url)
        expect(refused.code).to.equal('INVALID_ARGUMENT')
        expect(refused.message).to.not.include('s3cret')
      }
    } finally {
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  })
})
