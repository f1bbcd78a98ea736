import { expect } from 'chai'
import { parseDuration, parseInteger, parseLatLon } from '../../../cli/values.js'
import { formatCents, parseMoneyCents } from '../../../cli/daemon.js'

describe('cli/values', () => {
  it('reads durations like 30s, 5m, 2h, 1h30m, 250ms and bare seconds', () => {
    const rows: Array<[string, number]> = [['30s', 30_000], ['5m', 300_000], ['2h', 7_200_000], ['1h30m', 5_400_000], ['250ms', 250], ['1.5s', 1500], ['90', 90_000], ['1d', 86_400_000]]
    for (const [text, ms] of rows) expect(parseDuration(text, '--t'), text).to.equal(ms)
  })

  it('refuses what is not a duration, with the flag named', () => {
    for (const text of ['', 'soon', '5 minutes', '5x', 'm5', '-3s', '1h-5m']) {
      expect(() => parseDuration(text, '--max-wait'), text).to.throw(/--max-wait/)
    }
  })

  it('reads LAT,LON and refuses the unparsable and the out of range', () => {
    expect(parseLatLon('43.7384,7.4246', '--from')).to.deep.equal({ lat: 43.7384, lon: 7.4246 })
    expect(parseLatLon(' -33.9, 151.2 ', '--from')).to.deep.equal({ lat: -33.9, lon: 151.2 })
    for (const text of ['43.7', '43.7,7.4,1', 'north,7', '91,0', '-90.5,0', '0,180.1', '0,-181', 'NaN,1', '1e999,0']) {
      expect(() => parseLatLon(text, '--to'), text).to.throw(/--to/)
    }
  })

  it('reads whole numbers within a range', () => {
    expect(parseInteger('4', '--seats', 1, 8)).to.equal(4)
    for (const text of ['0', '9', '2.5', 'four', '']) expect(() => parseInteger(text, '--seats', 1, 8), text).to.throw(/--seats/)
  })

  it('reads and prints money in cents exactly', () => {
    expect(parseMoneyCents('12.5', '--max-price')).to.equal(1250n)
    expect(parseMoneyCents('7', '--max-price')).to.equal(700n)
    expect(() => parseMoneyCents('1.234', '--max-price')).to.throw(/--max-price/)
    expect(() => parseMoneyCents('-1', '--max-price')).to.throw(/--max-price/)
    expect(formatCents(841)).to.equal('8.41')
    expect(formatCents('5')).to.equal('0.05')
  })
})
