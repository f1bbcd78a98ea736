/**
 * A node that was down for a while reads the adjudicator's events of many blocks through a
 * JSON-RPC provider that caps `eth_getLogs` at a block range, as public providers do: the chain
 * client asks page by page, for the events and for the watcher's backlog.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect } from 'chai'
import { generatePrivateKey } from 'viem/accounts'
import { RpcChain, startDevChain, type AdjudicatorEvent, type DevChain } from '../../../settlement/index.js'
import { waitFor } from '../../fixtures/wait-for.js'

const CAP = 50

describe('settlement: event logs read in pages of blocks', function () {
  this.timeout(60_000)
  let dev: DevChain
  let proxy: Server
  let url: string
  let refused = 0
  let asked = 0

  /** A provider in front of the dev chain that refuses `eth_getLogs` over more than CAP blocks. */
  async function startProxy (): Promise<void> {
    proxy = createServer((req, res) => {
      let body = ''
      req.on('data', chunk => { body += String(chunk) })
      req.on('end', () => {
        void (async () => {
          const call = JSON.parse(body)
          if (call.method === 'eth_getLogs') {
            asked++
            const head = BigInt(await dev.evm.provider.request({ method: 'eth_blockNumber', params: [] }) as string)
            const filter = call.params[0]
            const from = BigInt(filter.fromBlock)
            const to = filter.toBlock === 'latest' || filter.toBlock == null ? head : BigInt(filter.toBlock)
            if (to - from + 1n > BigInt(CAP)) {
              refused++
              res.setHeader('content-type', 'application/json')
              res.end(JSON.stringify({ jsonrpc: '2.0', id: call.id, error: { code: -32005, message: `query exceeds max block range ${CAP}` } }))
              return
            }
          }
          const upstream = await fetch(dev.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
          res.setHeader('content-type', 'application/json')
          res.end(await upstream.text())
        })().catch(err => { res.statusCode = 500; res.end(String(err)) })
      })
    })
    await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
  }

  before(async () => {
    dev = await startDevChain({ challengePeriodS: 60 })
    await startProxy()
  })

  after(async () => {
    await new Promise(resolve => proxy?.close(resolve))
    await dev?.stop()
  })

  it('finds every event of a long backlog, and the watcher delivers them all in order', async () => {
    const rider = await dev.evm.connect(generatePrivateKey(), { fundWei: 10n ** 18n })
    const opened: string[] = []
    for (let i = 0; i < 4; i++) {
      const driver = await dev.evm.connect(generatePrivateKey())
      opened.push((await rider.open(driver.address, 1000n)).channelId)
      // a stretch of empty blocks between the opens, wider than the provider serves at once
      await dev.evm.provider.request({ method: 'hardhat_mine', params: ['0x50'] })
    }
    const client = await RpcChain.connect(url, { privateKeyHex: generatePrivateKey(), autoFund: false, maxLogBlockRange: CAP, pollingIntervalMs: 20 })
    try {
      const events = await client.events(0n)
      expect(events.filter(e => e.type === 'Opened').map(e => e.channelId)).to.deep.equal(opened)
      expect((await client.openedBy(rider.address, 0n)).map(e => e.channelId)).to.deep.equal(opened)
      const seen: AdjudicatorEvent[] = []
      const watcher = client.watch(event => { seen.push(event) }, { fromBlock: 0n, pollIntervalMs: 20 })
      await waitFor(() => seen.length >= opened.length, { what: 'the watcher catches up' })
      await watcher.stop()
      expect(seen.map(e => e.channelId)).to.deep.equal(opened)
      expect(refused, 'no request beyond the provider\'s range').to.equal(0)
      expect(asked).to.be.above(8)
    } finally {
      await client.stop()
      await rider.stop()
    }
  })
})
