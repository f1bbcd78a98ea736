/**
 * `npm run bench -- abuse` reads its flags before it starts a driver: an unknown flood or a
 * count that is not a positive integer is a usage error naming the flag, not a run that
 * measures its baseline for minutes and then dies on a stack trace (`--floods x` did), or a
 * table of 0/NaN rides (`--rides abc` did).
 */
import { expect } from 'chai'
import { FLOODS, parseAbuseArgs } from '../../../bench/abuse-protocol.js'

describe('bench abuse: its flags', () => {
  it('defaults to every flood, 20 rides, 4 riders, 60× speed-up', () => {
    expect(parseAbuseArgs([])).to.deep.equal({ floods: [...FLOODS], ridesPerPhase: 20, riderCount: 4, speedup: 60 })
  })

  it('takes a list of known floods and positive counts', () => {
    expect(parseAbuseArgs(['--floods', 'pay-frames,idle-pay-pipes', '--rides', '8', '--riders', '2', '--speedup', '30']))
      .to.deep.equal({ floods: ['pay-frames', 'idle-pay-pipes'], ridesPerPhase: 8, riderCount: 2, speedup: 30 })
  })

  it('refuses an unknown flood before anything starts, naming the known ones', () => {
    expect(() => parseAbuseArgs(['--floods', 'pay-frames,x'])).to.throw(RangeError, /--floods: unknown flood "x".*requests-one-peer/)
    expect(() => parseAbuseArgs(['--floods', ''])).to.throw(RangeError, /--floods/)
  })

  it('refuses counts that are not positive integers, and a flag without its value', () => {
    for (const bad of [['--rides', 'abc'], ['--rides', '0'], ['--riders', '-1'], ['--speedup', '1.5'], ['--rides']]) {
      expect(() => parseAbuseArgs(bad), bad.join(' ')).to.throw(RangeError, new RegExp(bad[0]))
    }
  })
})
