/**
 * The adjudicator against a participant who attacks it (issue 9, "The money" and "Contract"):
 * an old final state played against a close in progress, balances that overflow, payouts to a
 * receiver that burns gas or refuses ether at withdraw, and states signed for another chain or
 * another deployment of the contract.
 */
import { expect } from 'chai'
import { decodeErrorResult, type Hex } from 'viem'
import { adjudicatorAbi, adjudicatorBytecode } from '../../../settlement/abi.js'
import { channelStateTypedData, finalChannelState } from '../../../protocol/channel/index.js'
import { contractRider as deployContractRider, cosign, expectRevert, openDepositChannel, state, useEvm } from './helpers.js'

const PERIOD = 100
const UINT256_MAX = (1n << 256n) - 1n

describe('settlement/Adjudicator against a hostile participant', function () {
  this.timeout(60_000)
  const evmOf = useEvm(PERIOD)
  const openChannel = async (deposit?: bigint) => await openDepositChannel(evmOf(), deposit)

  it('an old final state cannot override a close in progress with a higher nonce', async () => {
    const { rider, driver, channelId, deposit } = await openChannel()
    // the rider collected the driver's final signature early (1,000 wei to the driver) ...
    const oldFinal = finalChannelState(state(channelId, 0n, deposit - 1000n, 1000n))
    const oldFinalSigs = await cosign(oldFinal, rider, driver)
    // ... and went on riding: the latest state both signed pays the driver 9,000
    const latest = state(channelId, 9n, deposit - 9000n, 9000n)
    const latestSigs = await cosign(latest, rider, driver)
    await driver.closeUnilateral(latest, latestSigs)
    await expectRevert(rider.closeCooperative(oldFinal, oldFinalSigs), 'ChannelClosing')
    await evmOf().increaseTime(PERIOD)
    await driver.finalize(channelId)
    const [fin] = (await driver.events(0n)).filter(e => e.type === 'Finalized' && e.channelId === channelId)
    expect(fin).to.include({ paidDriver: 9000n, paidRider: deposit - 9000n })
  })

  it('balances whose sum overflows are refused with BalanceMismatch, not a panic', async () => {
    const { rider, driver, channelId } = await openChannel(1000n)
    for (const [r, d] of [[UINT256_MAX, 1n], [1n, UINT256_MAX], [UINT256_MAX, UINT256_MAX]]) {
      const s = state(channelId, 1n, r, d)
      const sigs = await cosign(s, rider, driver)
      const err = await expectRevert(rider.closeUnilateral(s, sigs), 'BalanceMismatch')
      expect(err.revertArgs).to.deep.equal([UINT256_MAX, 1000n])
      const f = finalChannelState(s)
      await expectRevert(rider.closeCooperative(f, await cosign(f, rider, driver)), 'BalanceMismatch')
    }
  })

  it('refuses a state signed for another chain or another deployment of the contract', async () => {
    const { rider, driver, channelId, deposit } = await openChannel()
    const s = state(channelId, 1n, deposit - 5n, 5n)
    // a second deployment of the adjudicator on the same chain
    const hash = await rider.walletClient.deployContract({ abi: adjudicatorAbi, bytecode: adjudicatorBytecode, args: [BigInt(PERIOD)], account: rider.walletClient.account!, chain: rider.walletClient.chain })
    const { contractAddress } = await rider.publicClient.waitForTransactionReceipt({ hash })
    expect(contractAddress).to.not.equal(evmOf().adjudicator)
    const elsewhere = [
      { chainId: rider.domain.chainId + 1, verifyingContract: rider.domain.verifyingContract },
      { chainId: rider.domain.chainId, verifyingContract: contractAddress! }
    ]
    for (const domain of elsewhere) {
      const sigs = { rider: await rider.signState(s), driver: await driver.walletClient.account!.signTypedData!(channelStateTypedData(s, domain)) }
      await expectRevert(rider.closeUnilateral(s, sigs), 'SignerNotParticipant')
    }
    // the same state signed in the contract's own domain is accepted
    await rider.closeUnilateral(s, await cosign(s, rider, driver))
  })

  describe('payouts to a contract rider', () => {
    const contractRider = async () => await deployContractRider(evmOf(), PERIOD)

    it('a receiver that burns all the gas it is given cannot make finalize expensive: its share waits for withdraw()', async () => {
      const a = await contractRider()
      await a.write('setMode', [3])
      const tx = await a.driver.finalize(a.channelId)
      expect(tx.gasUsed < 150_000n, `finalize used ${tx.gasUsed} gas`).to.equal(true)
      expect(await a.owed()).to.equal(1000n)
    })

    it('a receiver that answers with a huge return value cannot make finalize expensive', async () => {
      const a = await contractRider()
      await a.write('setMode', [4])
      const tx = await a.driver.finalize(a.channelId)
      expect(tx.gasUsed < 150_000n, `finalize used ${tx.gasUsed} gas`).to.equal(true)
    })

    it('withdraw() to a receiver that refuses ether reverts with TransferFailed and keeps what is owed', async () => {
      const a = await contractRider()
      await a.write('setMode', [2])
      await a.driver.finalize(a.channelId)
      expect(await a.owed()).to.equal(1000n)
      await a.write('tryWithdraw')
      const reason = await a.read('lastRevert') as Hex
      expect(decodeErrorResult({ abi: adjudicatorAbi, data: reason }).errorName).to.equal('TransferFailed')
      expect(await a.owed()).to.equal(1000n)
    })
  })
})
