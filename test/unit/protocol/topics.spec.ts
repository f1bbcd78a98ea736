import { expect } from 'chai'
import { getResolution, gridDistance } from 'h3-js'
import { TopicError } from '../../../protocol/errors.js'
import {
  cellOf, cellsAround, cellTopic, neighbourCells, diffSubscriptions, GOSSIP_RESOLUTION, PAY_PROTOCOL, parseCellTopic,
  parseProtocol, providerKey, RIDE_PROTOCOL
} from '../../../protocol/topics.js'

function code (fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    expect(err).to.be.instanceOf(TopicError)
    return (err as TopicError).code
  }
  return undefined
}

describe('protocol/topics', () => {
  const cell = cellOf(52.52, 13.405)

  it('puts points in cells of the gossip resolution', () => {
    expect(getResolution(cell)).to.equal(GOSSIP_RESOLUTION)
    expect(cellOf(52.5201, 13.4051)).to.equal(cell)
    expect(code(() => cellOf(95, 0))).to.equal('bad-lat-lon')
    expect(code(() => cellOf(Number.NaN, 0))).to.equal('bad-lat-lon')
  })

  it('builds and parses cell topics', () => {
    expect(cellTopic(cell)).to.equal(`/hitch/1/cell/${cell}`)
    expect(parseCellTopic(cellTopic(cell))).to.equal(cell)
    expect(code(() => parseCellTopic('/other/1/cell/' + cell))).to.equal('bad-topic')
    expect(code(() => parseCellTopic('/hitch/1/cell/zzz'))).to.equal('bad-cell')
    expect(code(() => parseCellTopic('/hitch/1/cell/' + cell.toUpperCase()))).to.equal('bad-cell')
    expect(code(() => parseCellTopic('/hitch/1/cell/8928308280fffff'))).to.equal('bad-cell')
    expect(code(() => cellTopic('nope'))).to.equal('bad-cell')
  })

  it('lists the cells around a point, own cell first', () => {
    const around = cellsAround(52.52, 13.405, 1)
    expect(around).to.have.length(7)
    expect(around[0]).to.equal(cell)
    for (const c of around) {
      expect(gridDistance(cell, c)).to.be.at.most(1)
    }
    expect(cellsAround(52.52, 13.405, 2)).to.have.length(19)
    expect(cellsAround(52.52, 13.405, 0)).to.deep.equal([cell])
    expect(code(() => cellsAround(52.52, 13.405, -1))).to.equal('bad-cell')
  })

  it('lists the six neighbours of a cell, not the cell itself', () => {
    const around = neighbourCells(cell)
    expect(around).to.have.length(6)
    expect(around).to.not.include(cell)
    expect(new Set(around)).to.deep.equal(new Set(cellsAround(52.52, 13.405, 1).slice(1)))
    for (const c of around) {
      expect(gridDistance(cell, c)).to.equal(1)
    }
    expect(code(() => neighbourCells('nope'))).to.equal('bad-cell')
  })

  it('diffs subscriptions as a driver moves', () => {
    const before = cellsAround(52.52, 13.405, 1)
    const after = cellsAround(52.52, 13.45, 1)
    const { subscribe, unsubscribe } = diffSubscriptions(before, after)
    expect(subscribe.every(c => after.includes(c) && !before.includes(c))).to.equal(true)
    expect(unsubscribe.every(c => before.includes(c) && !after.includes(c))).to.equal(true)
    const kept = before.filter(c => after.includes(c))
    expect(subscribe.length + kept.length).to.equal(after.length)
    expect(unsubscribe.length + kept.length).to.equal(before.length)
    expect(diffSubscriptions(before, before)).to.deep.equal({ subscribe: [], unsubscribe: [] })
  })

  it('derives a stable CIDv1 raw sha256 provider key per cell', () => {
    const key = providerKey(cell)
    expect(key.version).to.equal(1)
    expect(key.code).to.equal(0x55)
    expect(key.multihash.code).to.equal(0x12)
    expect(providerKey(cell).equals(key)).to.equal(true)
    expect(providerKey(cellOf(48.85, 2.35)).equals(key)).to.equal(false)
  })

  it('has protocol ids with a parse', () => {
    expect(parseProtocol(RIDE_PROTOCOL)).to.deep.equal({ name: 'ride', major: 2, minor: 0, patch: 0 })
    expect(parseProtocol(PAY_PROTOCOL).name).to.equal('pay')
    expect(code(() => parseProtocol('/hitch/fly/1.0.0'))).to.equal('bad-protocol')
    expect(code(() => parseProtocol('/ipfs/ping/1.0.0'))).to.equal('bad-protocol')
  })
})
