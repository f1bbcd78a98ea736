import { expect } from 'chai'
import { PassThrough } from 'node:stream'
import { once } from 'node:events'
import { chainCommand } from '../../../cli/commands/chain.js'

describe('cli/commands/chain', function () {
  this.timeout(60_000)

  it('prints one JSON line with the URL, adjudicator and chain id, serves, and stops when told', async () => {
    const out = new PassThrough()
    const controller = new AbortController()
    const exit = chainCommand(['--port', '0', '--challenge-period', '5m', '--json'], { signal: controller.signal, out })
    const [chunk] = await once(out, 'data') as [Buffer]
    const line = JSON.parse(chunk.toString('utf8').split('\n')[0])
    expect(line).to.include({ event: 'listening', chainId: 31337, challengePeriodS: 300 })
    expect(line.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(line.adjudicator).to.match(/^0x[0-9a-fA-F]{40}$/)
    const res = await fetch(line.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'hitch_info' }) })
    expect(((await res.json()) as any).result.adjudicator).to.equal(line.adjudicator)
    controller.abort()
    expect(await exit).to.equal(0)
  })

  it('refuses a malformed challenge period before starting anything', async () => {
    try {
      await chainCommand(['--challenge-period', 'soon'])
      expect.fail('accepted "soon"')
    } catch (err) {
      expect((err as { code?: string }).code).to.equal('ERR_USAGE')
    }
  })

  it('--host takes an IP literal (a namespace\'s address) and refuses a name before starting anything', async () => {
    for (const host of ['chain.example', 'localhost', '10.0.0']) {
      try {
        await chainCommand(['--host', host])
        expect.fail(`accepted ${host}`)
      } catch (err) {
        expect((err as { code?: string }).code, host).to.equal('ERR_USAGE')
      }
    }
  })
})
