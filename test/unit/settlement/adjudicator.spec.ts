import { expect } from 'chai'
import { decodeErrorResult, hexToBigInt, keccak256, numberToHex, toHex, concat, slice, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { adjudicatorAbi } from '../../../settlement/abi.js'
import { FINAL_NONCE, finalChannelState, hashChannelState, recoverChannelStateSigner, signChannelState } from '../../../protocol/channel/index.js'
import type { AdjudicatorEvent } from '../../../settlement/chain.js'
import { contractRider, cosign, ETHER, expectRevert, openDepositChannel, state, useEvm } from './helpers.js'

const PERIOD = 100
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

describe('settlement/Adjudicator', function () {
  this.timeout(60_000)
  const evmOf = useEvm(PERIOD)
  const openChannel = async (deposit?: bigint) => await openDepositChannel(evmOf(), deposit)

  describe('signatures', () => {
    it('hashes and recovers states exactly as the contract does', async () => {
      const { rider, channelId } = await openChannel()
      const s = state(channelId, 7n, 3n, 4n, 99)
      const onChain = await rider.publicClient.readContract({ address: evmOf().adjudicator, abi: adjudicatorAbi, functionName: 'hashState', args: [s] })
      expect(hashChannelState(s, rider.domain)).to.equal(onChain)
      const key = generatePrivateKey()
      const sig = await signChannelState(key, s, rider.domain)
      expect(await recoverChannelStateSigner(s, sig, rider.domain)).to.equal(privateKeyToAccount(key).address)
    })

    it('rejects the malleable (high-s) twin of a valid signature', async () => {
      const { rider, driver, channelId } = await openChannel()
      const s = state(channelId, 1n, ETHER / 2n, ETHER / 2n)
      const sigs = await cosign(s, rider, driver)
      const r = slice(sigs.driver, 0, 32)
      const sLow = hexToBigInt(slice(sigs.driver, 32, 64))
      const v = Number(hexToBigInt(slice(sigs.driver, 64, 65)))
      const twin = concat([r, numberToHex(SECP256K1_N - sLow, { size: 32 }), numberToHex(v === 27 ? 28 : 27, { size: 1 })])
      await expectRevert(rider.closeUnilateral(s, { rider: sigs.rider, driver: twin }), 'BadSignature')
      // the low-s original is fine
      await rider.closeUnilateral(s, sigs)
    })

    it('rejects v outside {27, 28}, wrong lengths and unrecoverable signatures', async () => {
      const { rider, driver, channelId } = await openChannel()
      const s = state(channelId, 1n, ETHER, 0n)
      const sigs = await cosign(s, rider, driver)
      const v = Number(hexToBigInt(slice(sigs.rider, 64, 65)))
      const v01 = concat([slice(sigs.rider, 0, 64), numberToHex(v - 27, { size: 1 })])
      await expectRevert(rider.closeUnilateral(s, { rider: v01, driver: sigs.driver }), 'BadSignature')
      await expectRevert(rider.closeUnilateral(s, { rider: slice(sigs.rider, 0, 64), driver: sigs.driver }), 'BadSignature')
      const zeros = `0x${'00'.repeat(64)}1b` as Hex
      await expectRevert(rider.closeUnilateral(s, { rider: zeros, driver: sigs.driver }), 'BadSignature')
    })

    it('rejects a state signed by someone who is not the participant', async () => {
      const { rider, driver, outsider, channelId } = await openChannel()
      const s = state(channelId, 1n, ETHER, 0n)
      const err = await expectRevert(rider.closeUnilateral(s, { rider: await rider.signState(s), driver: await outsider.signState(s) }), 'SignerNotParticipant')
      expect(err.revertArgs).to.deep.equal([outsider.address])
      // roles matter too: the rider's signature in the driver's place
      await expectRevert(rider.closeUnilateral(s, { rider: await driver.signState(s), driver: await rider.signState(s) }), 'SignerNotParticipant')
    })

    it('rejects a signature over another channel\'s state', async () => {
      const a = await openChannel()
      const b = await openChannel()
      const sa = state(a.channelId, 1n, ETHER, 0n)
      const sigs = await cosign(sa, a.rider, a.driver)
      await expectRevert(a.rider.closeUnilateral({ ...sa, channelId: b.channelId }, sigs), 'NotParticipant')
      await expectRevert(b.rider.closeUnilateral({ ...sa, channelId: b.channelId }, sigs), 'SignerNotParticipant')
    })
  })

  describe('deposits', () => {
    it('reuses the pair\'s channel: a second open and a top-up add to the deposit', async () => {
      const { rider, driver, channelId } = await openChannel(100n)
      const again = await rider.open(driver.address, 50n)
      expect(again.channelId).to.equal(channelId)
      await rider.topUp(channelId, 25n)
      const c = await rider.getChannel(channelId)
      expect(c).to.include({ status: 'open', deposit: 175n, rider: rider.address, driver: driver.address })
      const types = (await rider.events(again.blockNumber - 1n)).filter(e => e.channelId === channelId).map(e => e.type)
      expect(types).to.deep.equal(['Opened', 'ToppedUp', 'ToppedUp'])
    })

    it('refuses zero deposits, self-channels, top-ups of unknown channels and by non-riders', async () => {
      const { rider, driver, channelId } = await openChannel()
      await expectRevert(rider.open(driver.address, 0n), 'ZeroDeposit')
      await expectRevert(rider.open(rider.address, 1n), 'InvalidDriver')
      await expectRevert(rider.topUp(keccak256(toHex('nope')), 1n), 'UnknownChannel')
      await expectRevert(driver.topUp(channelId, 1n), 'NotRider')
    })

    it('refuses top-ups and re-opens while a close is pending', async () => {
      const { rider, driver, channelId, deposit } = await openChannel()
      await rider.closeUnilateral(state(channelId, 0n, deposit, 0n))
      await expectRevert(rider.topUp(channelId, 1n), 'ChannelClosing')
      await expectRevert(rider.open(driver.address, 1n), 'ChannelClosing')
    })

    it('opens a fresh channel for the pair once the old one is settled', async () => {
      const { rider, driver, channelId, deposit } = await openChannel()
      const s = finalChannelState(state(channelId, 0n, deposit, 0n))
      await rider.closeCooperative(s, await cosign(s, rider, driver))
      const next = await rider.open(driver.address, 10n)
      expect(next.channelId).to.not.equal(channelId)
      expect(await rider.channelIdFor(rider.address, driver.address)).to.equal(next.channelId)
      // states of the old channel mean nothing to the new one
      await expectRevert(rider.topUp(channelId, 1n), 'AlreadyFinalized')
    })
  })

  describe('closing', () => {
    it('co-operative close pays out at once and puts the trip record hash on chain', async () => {
      const { rider, driver, channelId, deposit } = await openChannel()
      const s = finalChannelState(state(channelId, 0n, deposit - 300n, 300n, 0xabc))
      const before = await rider.balanceOf(driver.address)
      const tx = await rider.closeCooperative(s, await cosign(s, rider, driver))
      expect(await rider.balanceOf(driver.address)).to.equal(before + 300n)
      const [ev] = (await rider.events(tx.blockNumber, tx.blockNumber)).filter(e => e.type === 'ClosedCooperatively')
      expect(ev).to.include({ type: 'ClosedCooperatively', channelId, paidDriver: 300n, paidRider: deposit - 300n, tripRecordHash: s.tripRecordHash })
      expect((await rider.getChannel(channelId)).status).to.equal('finalized')
    })

    it('co-operative close needs the final nonce', async () => {
      const { rider, driver, channelId, deposit } = await openChannel()
      const s = state(channelId, 9n, deposit, 0n)
      await expectRevert(rider.closeCooperative(s, await cosign(s, rider, driver)), 'NotFinalState')
    })

    it('a dispute: unilateral close, a newer state answers it, finalize after the period', async () => {
      const { rider, driver, outsider, channelId, deposit } = await openChannel()
      const s3 = state(channelId, 3n, deposit - 100n, 100n, 3)
      const s5 = state(channelId, 5n, deposit - 500n, 500n, 5)
      const sigs3 = await cosign(s3, rider, driver)
      const sigs5 = await cosign(s5, rider, driver)
      const start = await rider.closeUnilateral(s3, sigs3)
      const seen: AdjudicatorEvent[] = []
      const watcher = driver.watch(e => { if (e.channelId === channelId) seen.push(e) }, { fromBlock: start.blockNumber })
      await driver.challenge(s5, sigs5)
      await expectRevert(driver.finalize(channelId), 'ChallengePeriodNotOver')
      await evmOf().increaseTime(PERIOD)
      const driverBefore = await rider.balanceOf(driver.address)
      const riderBefore = await rider.balanceOf(rider.address)
      // anyone may finalize: the outsider pays the gas, so both balances move by their payout only
      await outsider.finalize(channelId)
      expect(await rider.balanceOf(driver.address)).to.equal(driverBefore + 500n)
      expect(await rider.balanceOf(rider.address)).to.equal(riderBefore + deposit - 500n)
      while (seen.length < 3) await new Promise(resolve => setTimeout(resolve, 10))
      await watcher.stop()
      expect(seen.map(e => e.type)).to.deep.equal(['CloseStarted', 'Challenged', 'Finalized'])
      expect(seen[2]).to.include({ nonce: 5n, paidDriver: 500n, tripRecordHash: s5.tripRecordHash })
    })

    it('the nonce-0 refund needs no signatures but cannot pay the driver', async () => {
      const { rider, driver, channelId, deposit } = await openChannel()
      await expectRevert(driver.closeUnilateral(state(channelId, 0n, deposit - 1n, 1n)), 'BadSignature')
      await driver.closeUnilateral(state(channelId, 0n, deposit, 0n))
      // the driver's co-signed state beats the refund
      const s1 = state(channelId, 1n, deposit - 7n, 7n)
      await driver.challenge(s1, await cosign(s1, rider, driver))
      expect((await rider.getChannel(channelId))).to.include({ status: 'closing', nonce: 1n, balanceDriver: 7n })
    })

    it('a state predating a top-up still settles, the unallocated rest going to the rider', async () => {
      const { rider, driver, channelId } = await openChannel(1000n)
      const s1 = state(channelId, 1n, 600n, 400n)
      const sigs = await cosign(s1, rider, driver)
      await rider.topUp(channelId, 500n)
      await rider.closeUnilateral(state(channelId, 0n, 1500n, 0n))
      await driver.challenge(s1, sigs)
      await evmOf().increaseTime(PERIOD)
      const tx = await rider.finalize(channelId)
      const [ev] = (await rider.events(tx.blockNumber, tx.blockNumber)).filter(e => e.type === 'Finalized')
      expect(ev).to.include({ paidRider: 1100n, paidDriver: 400n })
    })

    it('rejects balances that allocate more than the deposit', async () => {
      const { rider, driver, channelId, deposit } = await openChannel()
      const s = state(channelId, 1n, deposit, 1n)
      const err = await expectRevert(rider.closeUnilateral(s, await cosign(s, rider, driver)), 'BalanceMismatch')
      expect(err.revertArgs).to.deep.equal([deposit + 1n, deposit])
      const f = finalChannelState(state(channelId, 0n, 0n, deposit + 1n))
      await expectRevert(rider.closeCooperative(f, await cosign(f, rider, driver)), 'BalanceMismatch')
    })

    it('rejects challenges with a lower or equal nonce, and after the period', async () => {
      const { rider, driver, channelId, deposit } = await openChannel()
      const s4 = state(channelId, 4n, deposit - 4n, 4n)
      await driver.closeUnilateral(s4, await cosign(s4, rider, driver))
      const same = state(channelId, 4n, deposit, 0n)
      const err = await expectRevert(rider.challenge(same, await cosign(same, rider, driver)), 'StaleNonce')
      expect(err.revertArgs).to.deep.equal([4n, 4n])
      const lower = state(channelId, 2n, deposit, 0n)
      await expectRevert(rider.challenge(lower, await cosign(lower, rider, driver)), 'StaleNonce')
      await evmOf().increaseTime(PERIOD)
      const later = state(channelId, 9n, deposit, 0n)
      await expectRevert(rider.challenge(later, await cosign(later, rider, driver)), 'ChallengePeriodOver')
    })

    it('only participants may close or challenge', async () => {
      const { rider, driver, outsider, channelId, deposit } = await openChannel()
      const s = state(channelId, 1n, deposit, 0n)
      const sigs = await cosign(s, rider, driver)
      await expectRevert(outsider.closeUnilateral(s, sigs), 'NotParticipant')
      await expectRevert(outsider.closeCooperative(finalChannelState(s), await cosign(finalChannelState(s), rider, driver)), 'NotParticipant')
      await rider.closeUnilateral(state(channelId, 0n, deposit, 0n))
      await expectRevert(outsider.challenge(s, sigs), 'NotParticipant')
      await expectRevert(driver.closeUnilateral(s, sigs), 'AlreadyClosing')
    })

    it('unknown channels, closes after finalize, finalize of an open channel, double finalize', async () => {
      const { rider, driver, channelId, deposit } = await openChannel()
      const unknown = keccak256(toHex('no such channel'))
      await expectRevert(rider.finalize(unknown), 'UnknownChannel')
      await expectRevert(rider.closeUnilateral(state(unknown, 0n, 0n, 0n)), 'UnknownChannel')
      await expectRevert(rider.finalize(channelId), 'NotClosing')
      const s2 = state(channelId, 2n, deposit, 0n)
      await expectRevert(rider.challenge(s2, await cosign(s2, rider, driver)), 'NotClosing')

      await rider.closeUnilateral(state(channelId, 0n, deposit, 0n))
      await evmOf().increaseTime(PERIOD)
      await rider.finalize(channelId)
      await expectRevert(rider.finalize(channelId), 'AlreadyFinalized')
      await expectRevert(rider.closeUnilateral(s2, await cosign(s2, rider, driver)), 'AlreadyFinalized')
      const f = finalChannelState(s2)
      await expectRevert(rider.closeCooperative(f, await cosign(f, rider, driver)), 'AlreadyFinalized')
      await expectRevert(driver.challenge(state(channelId, 3n, deposit, 0n), await cosign(state(channelId, 3n, deposit, 0n), rider, driver)), 'AlreadyFinalized')
    })
  })

  describe('payout', () => {
    const attacker = async () => await contractRider(evmOf(), PERIOD)

    it('a receiver re-entering on payout is stopped by the guard and gets paid once', async () => {
      const a = await attacker()
      await a.write('setMode', [1])
      const contractBefore = await a.operator.balanceOf(evmOf().adjudicator)
      // a pushed payout forwards bounded gas: too little for this receiver's bookkeeping, so its
      // share is deferred; withdraw() forwards all the gas, and there the guard must hold
      await a.driver.finalize(a.channelId)
      const owed = a.owed
      expect(await owed()).to.equal(1000n)
      await a.write('withdrawOwed')
      expect(await a.read('reentryAttempts')).to.equal(1n)
      expect(await a.read('received')).to.equal(1000n)
      expect(await owed()).to.equal(0n)
      expect(await a.operator.balanceOf(evmOf().adjudicator)).to.equal(contractBefore - 1000n)
      const reasons = await a.read('lastRevert') as Hex
      // two reverts concatenated (finalize, then withdraw), each the 4-byte ReentrantCall selector
      expect(reasons.length).to.equal(2 + 16)
      for (const reason of [slice(reasons, 0, 4), slice(reasons, 4, 8)]) {
        expect(decodeErrorResult({ abi: adjudicatorAbi, data: reason }).errorName).to.equal('ReentrantCall')
      }
    })

    it('a receiver that refuses ether cannot block the close: its share waits for withdraw()', async () => {
      const a = await attacker()
      await a.write('setMode', [2])
      const contractBefore = await a.operator.balanceOf(evmOf().adjudicator)
      await a.driver.finalize(a.channelId)
      const owed = a.owed
      expect(await owed()).to.equal(1000n)
      expect(await a.operator.balanceOf(evmOf().adjudicator)).to.equal(contractBefore)
      await a.write('setMode', [0])
      await a.write('withdrawOwed')
      expect(await owed()).to.equal(0n)
      expect(await a.read('received')).to.equal(1000n)
      expect(await a.operator.balanceOf(evmOf().adjudicator)).to.equal(contractBefore - 1000n)
      await expectRevert(a.operator.withdraw(), 'NothingToWithdraw')
    })
  })

  it('uses FINAL_NONCE = type(uint64).max as the contract does', async () => {
    const { rider } = await openChannel()
    const onChain = await rider.publicClient.readContract({ address: evmOf().adjudicator, abi: adjudicatorAbi, functionName: 'FINAL_NONCE' })
    expect(onChain).to.equal(FINAL_NONCE)
  })
})
