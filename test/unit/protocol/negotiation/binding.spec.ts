import { expect } from 'chai'
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts'
import {
  BindingError, checkBinding, DEFAULT_BINDING_MAX_AGE_MS, BINDING_CLOCK_SKEW_MS, signBinding
} from '../../../../protocol/negotiation/index.js'
import { NOW } from '../fixtures.js'
import type { BindingErrorCode } from '../../../../protocol/negotiation/index.js'
import type { IdentityBinding } from '../../../../protocol/pb/messages.js'

const RIDE_PEER = '16Uiu2HAmRidePeer1111111111111111111111111111111111111'
const OTHER_PEER = '16Uiu2HAmOtherPeer111111111111111111111111111111111111'

describe('protocol/negotiation/binding', () => {
  const paymentKey = generatePrivateKey()
  const address = privateKeyToAccount(paymentKey).address.toLowerCase()
  let good: IdentityBinding

  before(async () => {
    good = await signBinding({ peerId: RIDE_PEER, requestId: 'req-1', issuedAt: NOW }, paymentKey)
  })

  it('binds a ride peer id to the payment address that signed it', async () => {
    expect(good.address).to.equal(address)
    expect(good.signature).to.have.length(65)
    expect(await checkBinding(good, { peerId: RIDE_PEER, requestId: 'req-1', now: NOW + 1000 })).to.equal(address)
  })

  const refused = async (binding: IdentityBinding | undefined, over: { peerId?: string, requestId?: string, now?: number } = {}): Promise<BindingErrorCode | undefined> => {
    try {
      await checkBinding(binding, { peerId: RIDE_PEER, requestId: 'req-1', now: NOW, ...over })
      return undefined
    } catch (err) {
      expect(err).to.be.instanceOf(BindingError)
      return (err as BindingError).code
    }
  }

  const rows: Array<[string, () => IdentityBinding | undefined, { peerId?: string, requestId?: string, now?: number }, BindingErrorCode]> = [
    ['a missing binding', () => undefined, {}, 'ERR_BINDING_MISSING'],
    ['an upper-case address', () => ({ ...good, address: good.address.toUpperCase().replace('0X', '0x') }), {}, 'ERR_BINDING_MALFORMED'],
    ['a short signature', () => ({ ...good, signature: good.signature.subarray(0, 64) }), {}, 'ERR_BINDING_MALFORMED'],
    ['one issued too long ago', () => good, { now: NOW + DEFAULT_BINDING_MAX_AGE_MS + 1 }, 'ERR_BINDING_EXPIRED'],
    ['one issued in the future', () => good, { now: NOW - BINDING_CLOCK_SKEW_MS - 1 }, 'ERR_BINDING_EXPIRED'],
    ['one for another peer id (replayed by another peer)', () => good, { peerId: OTHER_PEER }, 'ERR_BINDING_MISMATCH'],
    ['one for another ride', () => good, { requestId: 'req-2' }, 'ERR_BINDING_MISMATCH'],
    ['one naming another address than its signer', () => ({ ...good, address: '0x' + '11'.repeat(20) }), {}, 'ERR_BINDING_BAD_SIGNATURE'],
    ['one whose fields were changed after signing', () => ({ ...good, issuedAt: good.issuedAt + 1 }), {}, 'ERR_BINDING_BAD_SIGNATURE'],
    ['a garbage signature', () => ({ ...good, signature: new Uint8Array(65).fill(7) }), {}, 'ERR_BINDING_BAD_SIGNATURE']
  ]
  for (const [what, make, over, code] of rows) {
    it(`refuses ${what} with ${code}`, async () => {
      expect(await refused(make(), over)).to.equal(code)
    })
  }

  it('a peer cannot bind a ride to someone else\'s address: the binding must be signed by that address', async () => {
    const mine = await signBinding({ peerId: OTHER_PEER, requestId: 'req-1', issuedAt: NOW }, generatePrivateKey())
    expect(await refused({ ...mine, address }, { peerId: OTHER_PEER })).to.equal('ERR_BINDING_BAD_SIGNATURE')
  })
})
