import { expect } from 'chai'
import { createPublicClient, http, parseEther } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { startDevChain, type DevChain } from '../../../settlement/dev-chain-server.js'
import { RpcChain } from '../../../settlement/rpc-chain.js'
import { connectChain } from '../../../settlement/connect.js'
import { finalChannelState } from '../../../protocol/channel/index.js'
import { SettlementError } from '../../../settlement/errors.js'
import { expectRevert, state } from './helpers.js'

async function post (url: string, body: unknown): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return await res.json()
}

describe('settlement/dev-chain-server', function () {
  this.timeout(60_000)
  let dev: DevChain

  before(async () => {
    dev = await startDevChain({ port: 0, host: '127.0.0.1', challengePeriodS: 30 })
  })

  after(async () => {
    await dev?.stop()
  })

  it('listens on loopback on an OS-chosen port and answers hitch_info', async () => {
    expect(dev.host).to.equal('127.0.0.1')
    expect(dev.port).to.be.greaterThan(0)
    const { result } = await post(dev.url, { jsonrpc: '2.0', id: 1, method: 'hitch_info', params: [] })
    expect(result).to.deep.equal({ adjudicator: dev.adjudicator, chainId: 31337, challengePeriodS: 30 })
  })

  it('serves a second viem client over HTTP, in batches too', async () => {
    const client = createPublicClient({ transport: http(dev.url, { batch: true }) })
    const [chainId, code, block] = await Promise.all([client.getChainId(), client.getCode({ address: dev.adjudicator }), client.getBlockNumber()])
    expect(chainId).to.equal(31337)
    expect(code?.length).to.be.greaterThan(100)
    expect(block).to.be.a('bigint')
    const batch = await post(dev.url, [
      { jsonrpc: '2.0', id: 'a', method: 'eth_chainId', params: [] },
      { jsonrpc: '2.0', id: 'b', method: 'no_such_method', params: [] }
    ])
    expect(batch).to.have.length(2)
    expect(batch[0]).to.deep.equal({ jsonrpc: '2.0', id: 'a', result: '0x7a69' })
    expect(batch[1].error.code).to.be.a('number')
  })

  it('reads the head as it is now: a block mined a moment ago counts (it read a cached number)', async () => {
    const before = await dev.evm.blockNumber()
    await dev.evm.mine()
    expect(await dev.evm.blockNumber()).to.equal(before + 1n)
  })

  it('hitch_fund gives an address test ether', async () => {
    const address = privateKeyToAccount(generatePrivateKey()).address
    const { result } = await post(dev.url, { jsonrpc: '2.0', id: 1, method: 'hitch_fund', params: [address, '0x10'] })
    expect(BigInt(result)).to.equal(16n)
    const bad = await post(dev.url, { jsonrpc: '2.0', id: 2, method: 'hitch_fund', params: ['not an address'] })
    expect(bad.error.code).to.equal(-32602)
  })

  it('RpcChain needs only the URL: it finds the adjudicator, funds itself and settles a channel', async () => {
    const rider = await connectChain(dev.url, { privateKeyHex: generatePrivateKey(), pollingIntervalMs: 20 })
    const driver = await RpcChain.connect(dev.url, { privateKeyHex: generatePrivateKey(), pollingIntervalMs: 20 })
    try {
      expect(rider.adjudicator).to.equal(dev.adjudicator)
      expect(rider.challengePeriodS).to.equal(30)
      expect(await rider.balanceOf() > parseEther('1')).to.equal(true)
      const { channelId } = await rider.open(driver.address, 1000n)
      // reverts decode into custom errors over HTTP too
      const s = state(channelId, 3n, 900n, 100n)
      const sigs = { rider: await rider.signState(s), driver: await driver.signState(s) }
      await expectRevert(driver.closeCooperative(s, sigs), 'NotFinalState')
      await rider.closeUnilateral(s, sigs)
      await expectRevert(rider.finalize(channelId), 'ChallengePeriodNotOver')
      await dev.evm.increaseTime(30)
      await driver.finalize(channelId)
      expect((await rider.getChannel(channelId)).status).to.equal('finalized')
      const f = finalChannelState(s)
      await expectRevert(rider.closeCooperative(f, { rider: await rider.signState(f), driver: await driver.signState(f) }), 'AlreadyFinalized')
    } finally {
      await rider.stop()
      await driver.stop()
    }
  })

  it('refuses a URL with no adjudicator and no hitch_info', async () => {
    try {
      await RpcChain.connect('http://127.0.0.1:1', { privateKeyHex: generatePrivateKey(), timeoutMs: 2000 })
      expect.fail('connected to nothing')
    } catch (err) {
      expect(err).to.be.instanceOf(SettlementError)
      expect((err as SettlementError).code).to.equal('RPC_FAILED')
    }
  })

  it('stops cleanly and idempotently: the port is closed afterwards', async () => {
    const other = await startDevChain({ challengePeriodS: 1 })
    await post(other.url, { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] })
    await Promise.all([other.stop(), other.stop()])
    try {
      await fetch(other.url, { method: 'POST', body: '{}' })
      expect.fail('still listening')
    } catch (err) {
      expect((err as Error).name).to.equal('TypeError') // fetch failed: connection refused
    }
  })
})
