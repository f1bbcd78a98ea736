import { expect } from 'chai'
import {
  awaitsLowerNonces, availableDeposit, channelStep, closeFallback, depositPlan, depositToAdopt,
  nonceGapWaitMs, refreshesDeposit, unilateralCloseState, FINAL_NONCE, NONCE_GAP_WAIT_MS, ZERO_HASH,
  type Channel, type ChannelAction, type ChannelPhase, type ChannelRejectCode, type CloseFailure, type DepositPlan, type ProposalVerdict
} from '../../../../protocol/channel/index.js'
import { channel, cosigned, state, DRIVER, ID, RIDER, SIG_D, SIG_R } from './fixtures.js'

const proposed = (nonce: bigint, toDriver: bigint): Channel['proposals'][number] => ({ state: state(nonce, toDriver), riderSig: SIG_R })

/** a rider at latest 1 with proposals 2, 3 and 4 in flight */
const riderInFlight = channel('rider', { latest: cosigned(state(1n, 5n)), proposals: [proposed(2n, 6n), proposed(3n, 7n), proposed(4n, 8n)] })

describe('protocol/channel: the rules beside the machine', () => {
  describe('the wait for a nonce gap (driver)', () => {
    const rows: Array<[string, Channel, bigint, boolean]> = [
      ['the next nonce', channel('driver', { latest: cosigned(state(3n, 1n)) }), 4n, false],
      ['nonce 1 on a fresh channel', channel('driver'), 1n, false],
      ['a stale nonce', channel('driver', { latest: cosigned(state(3n, 1n)) }), 2n, false],
      ['a nonce past a gap', channel('driver', { latest: cosigned(state(3n, 1n)) }), 5n, true],
      ['nonce 2 on a fresh channel', channel('driver'), 2n, true],
      ['a nonce past a gap, channel final', channel('driver', { phase: 'final' }), 5n, false],
      ['a nonce past a gap, channel closing', channel('driver', { phase: 'closing' }), 5n, false]
    ]
    for (const [what, ch, nonce, waits] of rows) {
      it(`${waits ? 'waits' : 'does not wait'} for ${what}`, () => {
        expect(awaitsLowerNonces(ch, nonce)).to.equal(waits)
      })
    }

    const waits: Array<[number, number]> = [[30_000, NONCE_GAP_WAIT_MS], [NONCE_GAP_WAIT_MS, NONCE_GAP_WAIT_MS], [500, 500], [0, 0], [-1, 0]]
    for (const [unresponsive, ms] of waits) {
      it(`waits ${ms} ms at most when peers have ${unresponsive} ms to answer`, () => {
        expect(nonceGapWaitMs(unresponsive)).to.equal(ms)
      })
    }
  })

  describe('the retry after a nonce gap (rider, reject-received)', () => {
    const rows: Array<[string, ChannelRejectCode, bigint, boolean, ChannelAction[], bigint[]]> = [
      ['a first gap re-sends the lower proposals, then the refused one', 'gap', 3n, false,
        [{ type: 'persist' }, { type: 'send-proposal', nonce: 2n }, { type: 'send-proposal', nonce: 3n }], [2n, 3n, 4n]],
      ['a gap on the lowest proposal re-sends it alone', 'gap', 2n, false,
        [{ type: 'persist' }, { type: 'send-proposal', nonce: 2n }], [2n, 3n, 4n]],
      ['a gap after a re-send fails the payment and keeps the proposal', 'gap', 3n, true,
        [{ type: 'persist' }, { type: 'fail', nonce: 3n, code: 'gap', detail: 'why' }], [2n, 3n, 4n]],
      ['a stale refusal fails the payment and keeps the proposal', 'stale', 3n, false,
        [{ type: 'persist' }, { type: 'fail', nonce: 3n, code: 'stale', detail: 'why' }], [2n, 3n, 4n]],
      ['a stale refusal of a re-send likewise', 'stale', 3n, true,
        [{ type: 'persist' }, { type: 'fail', nonce: 3n, code: 'stale', detail: 'why' }], [2n, 3n, 4n]],
      ['any other refusal drops the proposal and those after it', 'over-deposit', 3n, false,
        [{ type: 'persist' }, { type: 'fail', nonce: 3n, code: 'over-deposit', detail: 'why' }, { type: 'fail', nonce: 4n, code: 'over-deposit' }], [2n]],
      ['a refusal of a proposal no longer in flight does nothing but persist', 'gap', 9n, true, [{ type: 'persist' }], [2n, 3n, 4n]]
    ]
    for (const [what, code, nonce, resent, actions, left] of rows) {
      it(what, () => {
        const t = channelStep(riderInFlight, { type: 'reject-received', nonce, code, detail: 'why', resent })
        expect(t.actions).to.deep.equal(actions)
        expect(t.channel.proposals.map(p => p.state.nonce)).to.deep.equal(left)
      })
    }

    it('re-sends only what the driver\'s latest does not cover', () => {
      const t = channelStep(riderInFlight, {
        type: 'reject-received', nonce: 4n, code: 'gap', latest: cosigned(state(2n, 6n)), latestSigners: { rider: RIDER, driver: DRIVER }
      })
      expect(t.actions.map(a => a.type === 'send-proposal' ? a.nonce : a.type)).to.deep.equal(['persist', 'resolve', 3n, 4n])
    })

    it('does not fail a stale proposal the driver\'s latest settles', () => {
      const t = channelStep(riderInFlight, {
        type: 'reject-received', nonce: 2n, code: 'stale', latest: cosigned(state(2n, 6n)), latestSigners: { rider: RIDER, driver: DRIVER }
      })
      expect(t.actions.map(a => a.type)).to.deep.equal(['persist', 'resolve'])
    })
  })

  describe('the close fallback', () => {
    const rows: Array<[CloseFailure, 'unilateral' | 'give-up']> = [
      ['unresponsive', 'unilateral'], ['refused', 'unilateral'], ['bad-response', 'unilateral'], ['other', 'give-up']
    ]
    for (const [failure, next] of rows) {
      it(`${next === 'unilateral' ? 'closes unilaterally' : 'gives up'} when the co-operative close failed: ${failure}`, () => {
        expect(closeFallback(failure)).to.equal(next)
      })
    }

    const final = state(FINAL_NONCE, 5n)
    const states: Array<[string, Channel, bigint, boolean]> = [
      ['the nonce-0 refund before any co-signed state, unsigned', channel('rider'), 0n, false],
      ['the latest co-signed state', channel('rider', { latest: cosigned(state(3n, 5n)) }), 3n, true],
      ['the latest while the final state lacks the peer\'s signature', channel('rider', { latest: cosigned(state(3n, 5n)), phase: 'final', final: { state: final, riderSig: SIG_R } }), 3n, true],
      ['the final state once both signed it', channel('driver', { latest: cosigned(state(3n, 5n)), phase: 'final', final: { state: final, riderSig: SIG_R, driverSig: SIG_D } }), FINAL_NONCE, true]
    ]
    for (const [what, ch, nonce, signed] of states) {
      it(`submits ${what}`, () => {
        const u = unilateralCloseState(ch)
        expect(u.state.nonce).to.equal(nonce)
        expect(u.cosigned != null).to.equal(signed)
        if (u.cosigned != null) expect(u.cosigned.state).to.deep.equal(u.state)
      })
    }

    it('refunds the whole deposit before any co-signed state', () => {
      expect(unilateralCloseState(channel('rider', { deposit: 700n })).state).to.deep.equal({ channelId: ID, nonce: 0n, balanceRider: 700n, balanceDriver: 0n, tripRecordHash: ZERO_HASH })
    })
  })

  describe('deposits', () => {
    const plans: Array<[string, Channel, bigint, bigint, DepositPlan]> = [
      ['a fresh channel with enough', channel('rider'), 1000n, 1000n, { type: 'reuse' }],
      ['a fresh channel short of the wanted amount', channel('rider'), 1500n, 1000n, { type: 'top-up', amount: 500n }],
      ['co-signed payments counted', channel('rider', { latest: cosigned(state(1n, 400n)) }), 600n, 600n, { type: 'reuse' }],
      ['co-signed payments making it short', channel('rider', { latest: cosigned(state(1n, 400n)) }), 700n, 600n, { type: 'top-up', amount: 100n }],
      ['proposals in flight counted too', channel('rider', { latest: cosigned(state(1n, 400n)), proposals: [proposed(2n, 900n)] }), 200n, 100n, { type: 'top-up', amount: 100n }],
      ['everything promised', channel('rider', { latest: cosigned(state(1n, 1000n)) }), 1n, 0n, { type: 'top-up', amount: 1n }]
    ]
    for (const [what, ch, wanted, available, plan] of plans) {
      it(`plans ${plan.type} for ${what}`, () => {
        expect(availableDeposit(ch)).to.equal(available)
        expect(depositPlan(ch, wanted)).to.deep.equal(plan)
      })
    }

    const verdicts: Array<[ProposalVerdict, boolean]> = [
      [{ ok: true }, false],
      [{ ok: false, code: 'over-deposit', detail: '' }, true],
      [{ ok: false, code: 'gap', detail: '' }, false],
      [{ ok: false, code: 'stale', detail: '' }, false]
    ]
    for (const [verdict, refresh] of verdicts) {
      it(`${refresh ? 're-reads' : 'does not re-read'} the deposit after ${verdict.ok ? 'an accepted proposal' : `a refusal (${verdict.code})`}`, () => {
        expect(refreshesDeposit(verdict)).to.equal(refresh)
      })
    }

    const adopt: Array<[ChannelPhase, string, bigint, bigint | undefined]> = [
      ['open', 'open', 1500n, 1500n],
      ['final', 'open', 1500n, 1500n],
      ['open', 'open', 1000n, undefined],
      ['open', 'open', 900n, undefined],
      ['open', 'closing', 1500n, undefined],
      ['open', 'finalized', 1500n, undefined],
      ['closing', 'open', 1500n, undefined],
      ['finalized', 'open', 1500n, undefined]
    ]
    for (const [phase, status, deposit, adopted] of adopt) {
      it(`${adopted != null ? 'adopts' : 'ignores'} a deposit of ${deposit} (ours 1000) on chain (${status}) with the channel ${phase} here`, () => {
        expect(depositToAdopt(channel('driver', { phase }), { status, deposit })).to.equal(adopted)
      })
    }
  })
})
