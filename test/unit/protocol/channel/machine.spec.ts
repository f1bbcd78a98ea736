import { expect } from 'chai'
import type { Address } from 'viem'
import {
  channelStep, nextProposal, validateProposal, validateFinal, finalStateOf, arrears,
  encodeChannelMessage, decodeChannelMessage, ChannelProtocolError,
  type Channel, type ChannelMessage
} from '../../../../protocol/channel/index.js'
import { FINAL_NONCE, type ChannelState } from '../../../../protocol/channel/index.js'
import { channel, cosigned, state, DRIVER, ID, OTHER, RIDER, SIG_D, SIG_R } from './fixtures.js'

describe('protocol/channel: the channel machine', () => {
  describe('validateProposal (driver)', () => {
    const at3 = channel('driver', { latest: cosigned(state(3n, 100n)) })
    const rows: Array<[string, ChannelState, Address, string | undefined]> = [
      ['next nonce, more to the driver', state(4n, 150n), RIDER, undefined],
      ['next nonce, same balance (a new trip hash, say)', state(4n, 100n), RIDER, undefined],
      ['the whole deposit', state(4n, 1000n), RIDER, undefined],
      ['less than the deposit allocated (rest goes to the rider)', { ...state(4n, 150n), balanceRider: 10n }, RIDER, undefined],
      ['a replayed nonce', state(3n, 100n), RIDER, 'stale'],
      ['an old nonce', state(1n, 100n), RIDER, 'stale'],
      ['a skipped nonce', state(5n, 150n), RIDER, 'gap'],
      ['the driver balance decreasing', state(4n, 99n), RIDER, 'driver-balance-decreased'],
      ['more than the deposit', { ...state(4n, 150n), balanceRider: 851n }, RIDER, 'over-deposit'],
      ['another channel', { ...state(4n, 150n), channelId: `0x${'cd'.repeat(32)}` }, RIDER, 'unknown-channel'],
      ['signed by someone else', state(4n, 150n), OTHER, 'bad-signature'],
      ['signed by the driver itself', state(4n, 150n), DRIVER, 'bad-signature']
    ]
    for (const [what, s, signer, code] of rows) {
      it(`${code == null ? 'accepts' : 'rejects'} ${what}`, () => {
        const v = validateProposal(at3, s, signer)
        if (code == null) expect(v).to.deep.equal({ ok: true })
        else expect(v.ok === false && v.code).to.equal(code)
      })
    }

    it('accepts nonce 1 on a fresh channel and refuses anything once closing', () => {
      expect(validateProposal(channel('driver'), state(1n, 1n), RIDER).ok).to.equal(true)
      const v = validateProposal(channel('driver', { phase: 'closing' }), state(1n, 1n), RIDER)
      expect(v.ok === false && v.code).to.equal('not-open')
    })
  })

  describe('rider steps', () => {
    it('numbers pipelined proposals from the highest signed one, persisting before sending', () => {
      let ch = channel('rider', { latest: cosigned(state(2n, 50n)) })
      const p3 = nextProposal(ch, 60n)
      expect(p3).to.deep.include({ nonce: 3n, balanceDriver: 60n, balanceRider: 940n })
      let t = channelStep(ch, { type: 'proposal-signed', proposal: { state: p3, riderSig: SIG_R } })
      expect(t.actions).to.deep.equal([{ type: 'persist' }, { type: 'send-proposal', nonce: 3n }])
      ch = t.channel
      const p4 = nextProposal(ch, 70n)
      expect(p4.nonce).to.equal(4n)
      ch = channelStep(ch, { type: 'proposal-signed', proposal: { state: p4, riderSig: SIG_R } }).channel
      expect(ch.proposals.map(p => p.state.nonce)).to.deep.equal([3n, 4n])

      // the countersignature of 4 arrives first: 3 is settled too (the driver signs in order)
      t = channelStep(ch, { type: 'countersign-received', nonce: 4n, driverSig: SIG_D, signer: DRIVER })
      expect(t.channel.latest?.state.nonce).to.equal(4n)
      expect(t.channel.proposals).to.have.length(0)
      expect(t.actions[0]).to.deep.equal({ type: 'persist' })
      expect(t.actions.slice(1).map(a => a.type === 'resolve' && a.nonce)).to.deep.equal([3n, 4n])
      // a late countersignature of 3 changes nothing
      const late = channelStep(t.channel, { type: 'countersign-received', nonce: 3n, driverSig: SIG_D, signer: DRIVER })
      expect(late.channel.latest?.state.nonce).to.equal(4n)
      expect(late.actions).to.deep.equal([])
    })

    it('refuses a smaller total or more than the deposit', () => {
      const ch = channel('rider', { latest: cosigned(state(2n, 50n)) })
      expect(() => nextProposal(ch, 49n)).to.throw(ChannelProtocolError).with.property('code', 'driver-balance-decreased')
      expect(() => nextProposal(ch, 1001n)).to.throw(ChannelProtocolError).with.property('code', 'over-deposit')
    })

    it('refuses a countersignature from anyone but the driver', () => {
      const ch = channelStep(channel('rider'), { type: 'proposal-signed', proposal: { state: state(1n, 5n), riderSig: SIG_R } }).channel
      expect(() => channelStep(ch, { type: 'countersign-received', nonce: 1n, driverSig: SIG_D, signer: OTHER }))
        .to.throw(ChannelProtocolError).with.property('code', 'bad-signature')
    })

    it('adopts the driver\'s newer latest on a stale reject (after a crash) and resolves what it covers', () => {
      let ch = channel('rider', { latest: cosigned(state(1n, 5n)) })
      ch = channelStep(ch, { type: 'proposal-signed', proposal: { state: state(2n, 10n), riderSig: SIG_R } }).channel
      const t = channelStep(ch, { type: 'reject-received', nonce: 2n, code: 'stale', latest: cosigned(state(2n, 10n)), latestSigners: { rider: RIDER, driver: DRIVER } })
      expect(t.channel.latest?.state.nonce).to.equal(2n)
      expect(t.channel.proposals).to.have.length(0)
      expect(t.actions.map(a => a.type)).to.deep.equal(['persist', 'resolve'])
    })

    it('refuses to adopt a latest not signed by both', () => {
      const ch = channel('rider')
      expect(() => channelStep(ch, { type: 'latest-received', latest: cosigned(state(9n, 900n)), signers: { rider: RIDER, driver: OTHER } }))
        .to.throw(ChannelProtocolError).with.property('code', 'bad-signature')
    })

    it('fails a refused proposal and those after it', () => {
      let ch = channel('rider')
      ch = channelStep(ch, { type: 'proposal-signed', proposal: { state: state(1n, 5n), riderSig: SIG_R } }).channel
      ch = channelStep(ch, { type: 'proposal-signed', proposal: { state: state(2n, 6n), riderSig: SIG_R } }).channel
      const t = channelStep(ch, { type: 'reject-received', nonce: 1n, code: 'over-deposit' })
      expect(t.channel.proposals).to.have.length(0)
      expect(t.actions.filter(a => a.type === 'fail').map(a => a.type === 'fail' && a.nonce)).to.deep.equal([1n, 2n])
    })
  })

  describe('driver steps', () => {
    it('persists the countersigned state before answering', () => {
      const t = channelStep(channel('driver'), { type: 'proposal-accepted', proposal: { state: state(1n, 5n), riderSig: SIG_R }, driverSig: SIG_D })
      expect(t.actions).to.deep.equal([{ type: 'persist' }, { type: 'send-countersign', nonce: 1n, driverSig: SIG_D }])
      expect(t.channel.latest).to.deep.equal(cosigned(state(1n, 5n)))
    })

    it('tracks arrears and reports a rider that falls too far behind', () => {
      const ch = channel('driver', { latest: cosigned(state(1n, 100n)) })
      const within = channelStep(ch, { type: 'owed-changed', owedToDriver: 150n }, { maxArrearsWei: 50n })
      expect(arrears(within.channel)).to.equal(50n)
      expect(within.actions.map(a => a.type)).to.deep.equal(['persist'])
      const behind = channelStep(ch, { type: 'owed-changed', owedToDriver: 151n }, { maxArrearsWei: 50n })
      expect(behind.actions).to.deep.include({ type: 'arrears-exceeded', arrears: 51n })
    })
  })

  describe('closing', () => {
    it('the final state carries the latest balances with FINAL_NONCE, and nothing may be in flight', () => {
      const ch = channel('rider', { latest: cosigned(state(4n, 300n)) })
      const final = finalStateOf(ch)
      expect(final).to.deep.equal({ ...state(4n, 300n), nonce: FINAL_NONCE })
      expect(validateFinal(ch, final).ok).to.equal(true)
      expect(validateFinal(ch, { ...final, balanceDriver: 299n }).ok).to.equal(false)
      const inFlight = channelStep(ch, { type: 'proposal-signed', proposal: { state: state(5n, 301n), riderSig: SIG_R } }).channel
      const v = validateFinal(inFlight, final)
      expect(v.ok === false && v.code).to.equal('gap')
      expect(finalStateOf(channel('driver'))).to.deep.include({ balanceRider: 1000n, balanceDriver: 0n })
    })

    it('answers a close with an older state by a challenge, and schedules the finalize', () => {
      const ch = channel('driver', { latest: cosigned(state(7n, 300n)) })
      const stale = channelStep(ch, { type: 'close-observed', nonce: 5n, closesAt: 100n, by: RIDER })
      expect(stale.actions).to.deep.equal([
        { type: 'persist' }, { type: 'challenge', cosigned: cosigned(state(7n, 300n)) }, { type: 'schedule-finalize', closesAt: 100n }
      ])
      expect(stale.channel.phase).to.equal('closing')
      const current = channelStep(ch, { type: 'close-observed', nonce: 7n, closesAt: 100n, by: RIDER })
      expect(current.actions.map(a => a.type)).to.deep.equal(['persist', 'schedule-finalize'])
    })
  })

  describe('the final state is the last one signed', () => {
    const at3 = channel('driver', { latest: cosigned(state(3n, 100n)) })
    const final = finalStateOf(at3)

    // (channel, event) -> (phase, actions, or the refusal)
    const rows: Array<[string, Channel, Parameters<typeof channelStep>[1], string | { phase: string, actions: string[] }]> = [
      ['answering a close request: final, persisted, ready to submit', at3,
        { type: 'final-signed', state: final, riderSig: SIG_R, driverSig: SIG_D }, { phase: 'final', actions: ['persist', 'final-ready'] }],
      ['asking to close: final, persisted, waiting for the peer', at3,
        { type: 'final-signed', state: final, driverSig: SIG_D }, { phase: 'final', actions: ['persist'] }],
      ['a final state with other balances', at3,
        { type: 'final-signed', state: { ...final, balanceDriver: 50n, balanceRider: 950n }, riderSig: SIG_R, driverSig: SIG_D }, 'final-mismatch'],
      ['a proposal after the final state', channel('driver', { latest: cosigned(state(3n, 100n)), phase: 'final', final: { state: final, riderSig: SIG_R, driverSig: SIG_D } }),
        { type: 'proposal-accepted', proposal: { state: state(4n, 900n), riderSig: SIG_R }, driverSig: SIG_D }, 'not-open'],
      ['the peer\'s countersignature of our final state', channel('driver', { latest: cosigned(state(3n, 100n)), phase: 'final', final: { state: final, driverSig: SIG_D } }),
        { type: 'final-countersigned', sig: SIG_R, signer: RIDER }, { phase: 'final', actions: ['persist', 'final-ready'] }],
      ['a countersignature by someone else', channel('driver', { latest: cosigned(state(3n, 100n)), phase: 'final', final: { state: final, driverSig: SIG_D } }),
        { type: 'final-countersigned', sig: SIG_R, signer: OTHER }, 'bad-signature'],
      ['a stale close while final: answered with the final state', channel('driver', { latest: cosigned(state(3n, 100n)), phase: 'final', final: { state: final, riderSig: SIG_R, driverSig: SIG_D } }),
        { type: 'close-observed', nonce: 1n, closesAt: 10n, by: RIDER }, { phase: 'closing', actions: ['persist', 'challenge', 'schedule-finalize'] }]
    ]
    for (const [what, ch, event, expected] of rows) {
      it(`${typeof expected === 'string' ? 'refuses' : 'takes'} ${what}`, () => {
        if (typeof expected === 'string') {
          expect(() => channelStep(ch, event)).to.throw(ChannelProtocolError).with.property('code', expected)
          return
        }
        const t = channelStep(ch, event)
        expect(t.channel.phase).to.equal(expected.phase)
        expect(t.actions.map(a => a.type)).to.deep.equal(expected.actions)
      })
    }

    it('signs the same final state again for a lost answer, and no other', () => {
      const final3 = channel('driver', { latest: cosigned(state(3n, 100n)), phase: 'final', final: { state: final, riderSig: SIG_R, driverSig: SIG_D } })
      expect(validateFinal(final3, final)).to.deep.equal({ ok: true })
      const other = validateFinal(final3, { ...final, tripRecordHash: `0x${'ef'.repeat(32)}` })
      expect(other.ok === false && other.code).to.equal('final-mismatch')
    })

    it('challenges a close with the final state, whose nonce beats any', () => {
      const ch = channel('driver', { latest: cosigned(state(3n, 100n)), phase: 'final', final: { state: final, riderSig: SIG_R, driverSig: SIG_D } })
      const t = channelStep(ch, { type: 'close-observed', nonce: 3n, closesAt: 10n, by: RIDER })
      const challenge = t.actions.find(a => a.type === 'challenge')
      expect(challenge?.type === 'challenge' && challenge.cosigned.state.nonce).to.equal(FINAL_NONCE)
    })
  })

  describe('codec', () => {
    const messages: ChannelMessage[] = [
      { type: 'propose', proposal: { state: state(3n, 7n), riderSig: SIG_R } },
      { type: 'countersign', channelId: ID, nonce: 3n, driverSig: SIG_D },
      { type: 'reject', channelId: ID, nonce: 3n, code: 'stale', detail: 'old', latest: cosigned(state(4n, 8n)) },
      { type: 'reject', channelId: ID, nonce: 3n, code: 'gap', detail: '' },
      { type: 'close-request', state: { ...state(4n, 8n), nonce: FINAL_NONCE }, sig: SIG_R },
      { type: 'close-accept', channelId: ID, sig: SIG_D },
      { type: 'sync-request', channelId: ID },
      { type: 'sync-response', latest: cosigned(state(4n, 8n)) },
      { type: 'sync-response' }
    ]
    for (const m of messages) {
      it(`round-trips ${m.type}`, () => {
        expect(decodeChannelMessage(encodeChannelMessage(m))).to.deep.equal(m)
      })
    }

    it('rejects garbage, empty messages and short signatures as malformed', () => {
      expect(() => decodeChannelMessage(new Uint8Array([0xff, 0xff, 0xff]))).to.throw(ChannelProtocolError).with.property('code', 'malformed')
      expect(() => decodeChannelMessage(new Uint8Array(0))).to.throw(ChannelProtocolError).with.property('code', 'malformed')
      const bytes = encodeChannelMessage({ type: 'countersign', channelId: ID, nonce: 1n, driverSig: `0x${'02'.repeat(64)}` })
      expect(() => decodeChannelMessage(bytes)).to.throw(ChannelProtocolError).with.property('code', 'malformed')
    })
  })
})
