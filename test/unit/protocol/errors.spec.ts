import { expect } from 'chai'
import { PeerUnresponsiveError, ChannelError, ChannelRejectedError } from '../../../node/channel/index.js'
import { NoDriverError, RideError } from '../../../node/roles/index.js'
import { RevertedError, SettlementError } from '../../../settlement/index.js'
import { CodedError } from '../../../protocol/index.js'

/** One error style: each member of a family is named for its class and carries its code. */
describe('protocol/errors: error families', () => {
  it('a member is named for its class, carries its code and is an instance of its family and of CodedError', () => {
    const cause = new Error('socket closed')
    const err = new PeerUnresponsiveError('no answer in 10 s', { cause })
    expect(err.name).to.equal('PeerUnresponsiveError')
    expect(err.code).to.equal('PEER_UNRESPONSIVE')
    expect(err.message).to.equal('no answer in 10 s')
    expect(err.cause).to.equal(cause)
    expect(err).to.be.instanceOf(ChannelError).and.instanceOf(CodedError).and.instanceOf(Error)
    expect(String(err)).to.equal('PeerUnresponsiveError: no answer in 10 s')
  })

  it('a family keeps what its members carry beyond the code', () => {
    expect(new ChannelRejectedError('refused', { reason: 'stale' }).reason).to.equal('stale')
    const reverted = new RevertedError('reverted', { revert: 'StaleNonce', revertArgs: [1n] })
    expect([reverted.name, reverted.code, reverted.revert, reverted.revertArgs]).to.deep.equal(['RevertedError', 'REVERTED', 'StaleNonce', [1n]])
    expect(reverted).to.be.instanceOf(SettlementError)
  })

  it('a member may give its message a default', () => {
    const err = new NoDriverError()
    expect([err.name, err.code, err.message]).to.deep.equal(['NoDriverError', 'ERR_NO_DRIVER', 'no driver confirmed a quote in time'])
    expect(err).to.be.instanceOf(RideError)
  })
})
