import { expect } from 'chai'
import { pickLostLine } from '../../../cli/commands/ride.js'
import type { RiderQuote } from '../../../node/roles/index.js'

const quote: RiderQuote = {
  driver: '16Uiu2HAmDriverPeerIdXyz9', requestId: 'r1', quoteId: 'q1', price: '1250', currency: 'usd-cent',
  pickupMinutes: 3, dropoffMinutes: 12, pickupEta: 0, dropoffEta: 0, pooled: false, seats: 1, expiresAt: 0
}

describe('cli/commands/ride: the lost-pick line', () => {
  const rows: Array<[string, Parameters<typeof pickLostLine>, string]> = [
    ['an expired pick, asked again', [{ requestId: 'r1', quoteId: 'q1', reason: 'expired', askAgain: true }, quote],
      'the quote you picked (12.50 from driver 16Uiu2…Xyz9) expired while you chose: pick another'],
    ['an expired pick, nothing left', [{ requestId: 'r1', quoteId: 'q1', reason: 'expired', askAgain: false }, quote],
      'the quote you picked (12.50 from driver 16Uiu2…Xyz9) expired while you chose: no other quote is left'],
    ['a pick not offered, the quote unknown to the prompt', [{ requestId: 'r1', quoteId: 'qx', reason: 'not-offered', askAgain: true }],
      'the quote you picked is no longer offered: pick another']
  ]
  for (const [name, args, line] of rows) {
    it(name, () => {
      expect(pickLostLine(...args)).to.equal(line)
      expect(line).not.to.include('\n')
    })
  }
})
