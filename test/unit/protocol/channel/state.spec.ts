import { expect } from 'chai'
import fc from 'fast-check'
import { concat, hashTypedData, hexToBigInt, numberToHex, recoverTypedDataAddress, slice, type Address, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { adjudicatorAbi } from '../../../../settlement/abi.js'
import { ChannelSignatureVerifier, channelDomainSeparator, channelSigningKey, channelStateDigest, channelStateTypedData, FINAL_NONCE, hashChannelState, recoverChannelStateDigestSigner, recoverChannelStateSigner, signChannelState, signChannelStateDigest, type ChannelDomain, type ChannelState } from '../../../../protocol/channel/index.js'
import { EmbeddedEvm } from '../../../../settlement/embedded-chain.js'
import { InvalidParametersError } from '@libp2p/interface'
import { ETHER, parties, state } from '../../settlement/helpers.js'

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
const DOMAIN: ChannelDomain = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' }

const hex32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(b => `0x${Buffer.from(b).toString('hex')}` as Hex)
const uint256 = fc.bigInt({ min: 0n, max: (1n << 256n) - 1n })
const arbState = fc.record({
  channelId: hex32,
  nonce: fc.bigInt({ min: 0n, max: FINAL_NONCE }),
  balanceRider: uint256,
  balanceDriver: uint256,
  tripRecordHash: hex32
})
const arbDomain = fc.record({
  chainId: fc.integer({ min: 1, max: 2 ** 40 }),
  verifyingContract: fc.uint8Array({ minLength: 20, maxLength: 20 }).map(b => `0x${Buffer.from(b).toString('hex')}` as Address)
})

/** Signature variants the adjudicator must refuse or accept, from one valid signature. */
function variants (sig: Hex): Record<string, Hex> {
  const r = slice(sig, 0, 32)
  const s = hexToBigInt(slice(sig, 32, 64))
  const v = Number(hexToBigInt(slice(sig, 64, 65)))
  const other = v === 27 ? 28 : 27
  return {
    valid: sig,
    'high-s twin': concat([r, numberToHex(N - s, { size: 32 }), numberToHex(other, { size: 1 })]),
    'v flipped': concat([slice(sig, 0, 64), numberToHex(other, { size: 1 })]),
    'v as 0/1': concat([slice(sig, 0, 64), numberToHex(v - 27, { size: 1 })]),
    'v + 2': concat([slice(sig, 0, 64), numberToHex(v + 2, { size: 1 })]),
    '64 bytes': slice(sig, 0, 64),
    zeros: `0x${'00'.repeat(64)}1b`,
    'r = n': concat([numberToHex(N, { size: 32 }), slice(sig, 32, 65)]),
    's = 0': concat([r, numberToHex(0n, { size: 32 }), numberToHex(v, { size: 1 })]),
    'r + 1': concat([numberToHex(hexToBigInt(r) + 1n, { size: 32 }), slice(sig, 32, 65)]),
    's - 1': concat([r, numberToHex(s - 1n, { size: 32 }), numberToHex(v, { size: 1 })])
  }
}

describe('protocol/channel/state', function () {
  this.timeout(60_000)

  it('hashes exactly as viem\'s generic EIP-712 encoder', () => {
    fc.assert(fc.property(arbState, arbDomain, (s, d) => {
      expect(hashChannelState(s, d)).to.equal(hashTypedData(channelStateTypedData(s, d)))
    }), { numRuns: 200 })
  })

  it('signs exactly as viem (deterministic, low-s, v in {27, 28})', async () => {
    await fc.assert(fc.asyncProperty(arbState, async s => {
      const key = generatePrivateKey()
      const ours = signChannelStateDigest(channelSigningKey(key), channelStateDigest(s, DOMAIN))
      expect(ours).to.equal(await privateKeyToAccount(key).signTypedData(channelStateTypedData(s, DOMAIN)))
      expect(await signChannelState(key, s, DOMAIN)).to.equal(ours)
      expect(hexToBigInt(slice(ours, 32, 64)) <= N / 2n).to.equal(true)
    }), { numRuns: 25 })
  })

  it('verifies against a known signer with the same verdict as a full recovery', async () => {
    await fc.assert(fc.asyncProperty(arbState, fc.integer({ min: 0, max: 64 * 8 - 1 }), async (s, bit) => {
      const key = generatePrivateKey()
      const address = privateKeyToAccount(key).address
      const verifier = new ChannelSignatureVerifier(address)
      const digest = channelStateDigest(s, DOMAIN)
      const sig = signChannelStateDigest(channelSigningKey(key), digest)
      expect(verifier.verify(digest, sig)).to.equal(true) // by recovery, learns the key
      expect(verifier.hasPublicKey).to.equal(true)
      expect(verifier.verify(digest, sig)).to.equal(true) // by verification with the table
      // one flipped bit of r or s: both ways agree with viem's recovery to the address
      const bytes = Buffer.from(sig.slice(2), 'hex')
      bytes[bit >> 3] ^= 1 << (bit & 7)
      const flipped = `0x${bytes.toString('hex')}` as Hex
      const recovered = recoverChannelStateDigestSigner(digest, flipped)
      expect(verifier.verify(digest, flipped)).to.equal(recovered === address)
      expect(recovered === address).to.equal(false)
      // another state's digest
      const next = channelStateDigest({ ...s, nonce: s.nonce === FINAL_NONCE ? 0n : s.nonce + 1n }, DOMAIN)
      expect(verifier.verify(next, sig)).to.equal(false)
    }), { numRuns: 40 })
  })

  it('recovers what viem recovers for valid signatures, and refuses what the adjudicator refuses', async () => {
    const key = generatePrivateKey()
    const s = state(`0x${'22'.repeat(32)}`, 5n, 10n, 20n, 7)
    const sig = await signChannelState(key, s, DOMAIN)
    expect(await recoverChannelStateSigner(s, sig, DOMAIN)).to.equal(await recoverTypedDataAddress({ ...channelStateTypedData(s, DOMAIN), signature: sig }))
    try {
      await recoverChannelStateSigner(s, variants(sig)['high-s twin'], DOMAIN)
      expect.fail('a high-s signature must be refused')
    } catch (err) {
      expect(err).to.have.property('name', 'InvalidParametersError')
    }
  })

  it('refuses a public key that is not the expected signer\'s', () => {
    const key = generatePrivateKey()
    const address = privateKeyToAccount(key).address
    const publicKey = Buffer.from(privateKeyToAccount(key).publicKey.slice(2), 'hex')
    expect(new ChannelSignatureVerifier(address, { publicKey }).hasPublicKey).to.equal(true)
    expect(() => new ChannelSignatureVerifier(privateKeyToAccount(generatePrivateKey()).address, { publicKey })).to.throw(InvalidParametersError)
  })

  describe('against the adjudicator', () => {
    let evm: EmbeddedEvm

    before(async () => {
      evm = await EmbeddedEvm.start({ challengePeriodS: 100 })
    })

    after(async () => {
      await evm?.stop()
    })

    it('has the contract\'s domain separator and digest', async () => {
      const { rider } = await parties(evm)
      const onChain = await rider.publicClient.readContract({ address: evm.adjudicator, abi: adjudicatorAbi, functionName: 'domainSeparator' })
      expect(`0x${Buffer.from(channelDomainSeparator(rider.domain)).toString('hex')}`).to.equal(onChain)
      const s = state(`0x${'33'.repeat(32)}`, FINAL_NONCE, 1n, (1n << 255n) + 3n, 9)
      const digest = await rider.publicClient.readContract({ address: evm.adjudicator, abi: adjudicatorAbi, functionName: 'hashState', args: [s] })
      expect(hashChannelState(s, rider.domain)).to.equal(digest)
    })

    it('accepts exactly the signature variants the contract accepts, fresh and with the table', async () => {
      const { rider, driver } = await parties(evm)
      const { channelId } = await rider.open(driver.address, ETHER)
      const s: ChannelState = state(channelId, 1n, ETHER / 2n, ETHER / 2n)
      const riderSig = await rider.signState(s)
      const driverSig = await driver.signState(s)
      const digest = channelStateDigest(s, rider.domain)
      const warm = new ChannelSignatureVerifier(driver.address)
      expect(warm.verify(digest, driverSig)).to.equal(true)
      for (const [name, sig] of Object.entries(variants(driverSig))) {
        let contract: boolean
        try {
          await rider.publicClient.simulateContract({
            address: evm.adjudicator, abi: adjudicatorAbi, functionName: 'closeUnilateral', args: [s, riderSig, sig], account: rider.address
          })
          contract = true
        } catch {
          contract = false
        }
        const cold = new ChannelSignatureVerifier(driver.address)
        expect(cold.verify(digest, sig), `${name} (recovery)`).to.equal(contract)
        expect(warm.verify(digest, sig), `${name} (table)`).to.equal(contract)
        expect(recoverChannelStateDigestSigner(digest, sig) === driver.address, `${name} (recover)`).to.equal(contract)
        expect(contract, name).to.equal(name === 'valid')
      }
    })
  })
})
