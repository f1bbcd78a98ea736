/**
 * The channel codec carries every uint64 exactly: protons-runtime (7.x, and 8.0.1) writes a
 * bigint uint64 in [2^31, 2^32) as one byte and leaves four bytes of its buffer as they were, so
 * a frame id or a nonce of 2^31 came back as another number (found by the fuzz suite).
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { decodeChannelMessage, decodePayFrame, encodeChannelMessage, encodePayFrame } from '../../../../protocol/channel/index.js'
import { FINAL_NONCE } from '../../../../protocol/channel/index.js'
import type { Hex } from 'viem'

const ID: Hex = `0x${'ab'.repeat(32)}`
const SIG: Hex = `0x${'01'.repeat(65)}`
const EDGES = [0n, 1n, 127n, 128n, (1n << 31n) - 1n, 1n << 31n, (1n << 32n) - 1n, 1n << 32n, (1n << 53n) + 1n, FINAL_NONCE]

describe('protocol/channel: the codec carries every uint64', () => {
  it('frame ids and nonces at the edges of 32 and 64 bits', () => {
    for (const n of EDGES) {
      const frame = decodePayFrame(encodePayFrame({ id: n === 0n ? 1n : n, message: { type: 'countersign', channelId: ID, nonce: n, driverSig: SIG } }))
      expect(frame.id).to.equal(n === 0n ? 1n : n)
      expect('message' in frame && frame.message.type === 'countersign' && frame.message.nonce).to.equal(n)
      const state = { channelId: ID, nonce: n, balanceRider: 1n, balanceDriver: 2n, tripRecordHash: ID }
      const back = decodeChannelMessage(encodeChannelMessage({ type: 'propose', proposal: { state, riderSig: SIG } }))
      expect(back.type === 'propose' && back.proposal.state.nonce).to.equal(n)
    }
  })

  it('any uint64 survives a round trip, in a reject too', () => {
    const u64 = fc.oneof(
      ...[8n, 16n, 31n, 32n, 53n, 64n].map(bits => fc.bigInt({ min: 1n, max: (1n << bits) - 1n }))
    )
    fc.assert(fc.property(u64, n => {
      const bytes = encodePayFrame({ id: n, message: { type: 'reject', channelId: ID, nonce: n, code: 'stale', detail: 'x' } })
      const frame = decodePayFrame(bytes)
      return frame.id === n && 'message' in frame && frame.message.type === 'reject' && frame.message.nonce === n
    }), { numRuns: 2000 })
  })
})
