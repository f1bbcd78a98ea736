import { expect } from 'chai'
import { carWayRules, parseMaxspeed, DEFAULT_SPEEDS_KMH } from '../../../../matching/graph/index.js'

describe('parseMaxspeed', function () {
  const rows: Array<[string | undefined, number | undefined]> = [
    ['50', 50],
    ['50 km/h', 50],
    ['50km/h', 50],
    ['50 kmh', 50],
    ['50 kph', 50],
    [' 70 ', 70],
    ['30 mph', 30 * 1.609344],
    ['30mph', 30 * 1.609344],
    ['25 MPH', 25 * 1.609344],
    ['10 knots', 18.52],
    ['50;30', 50],
    ['7.5', 7.5],
    ['signals', undefined],
    ['none', undefined],
    ['walk', undefined],
    ['FR:urban', undefined],
    ['RU:rural', undefined],
    ['', undefined],
    ['0', undefined],
    ['999', undefined],
    ['fast', undefined],
    ['50 furlongs', undefined],
    [undefined, undefined]
  ]
  for (const [input, expected] of rows) {
    it(`${JSON.stringify(input)} -> ${expected ?? 'undefined'}`, function () {
      const got = parseMaxspeed(input)
      if (expected === undefined) expect(got).to.equal(undefined)
      else expect(got).to.be.closeTo(expected, 1e-9)
    })
  }
})

describe('carWayRules', function () {
  type Row = [Record<string, string>, { forward: boolean, backward: boolean, speedKmh?: number } | null]
  const rows: Row[] = [
    [{ highway: 'residential' }, { forward: true, backward: true, speedKmh: DEFAULT_SPEEDS_KMH.residential }],
    [{ highway: 'primary', maxspeed: '50' }, { forward: true, backward: true, speedKmh: 50 }],
    [{ highway: 'primary', maxspeed: 'signals' }, { forward: true, backward: true, speedKmh: DEFAULT_SPEEDS_KMH.primary }],
    [{ highway: 'tertiary_link' }, { forward: true, backward: true, speedKmh: DEFAULT_SPEEDS_KMH.tertiary_link }],
    [{ highway: 'living_street' }, { forward: true, backward: true, speedKmh: 10 }],
    // not car roads
    [{ highway: 'footway' }, null],
    [{ highway: 'cycleway' }, null],
    [{ highway: 'path' }, null],
    [{ highway: 'pedestrian' }, null],
    [{ highway: 'track' }, null],
    [{ highway: 'construction' }, null],
    [{ highway: 'proposed' }, null],
    [{ building: 'yes' }, null],
    [{}, null],
    [{ highway: 'service', area: 'yes' }, null],
    // access
    [{ highway: 'service', access: 'private' }, null],
    [{ highway: 'residential', access: 'no' }, null],
    [{ highway: 'residential', motor_vehicle: 'no' }, null],
    [{ highway: 'residential', motor_vehicle: 'private' }, null],
    [{ highway: 'residential', motorcar: 'no' }, null],
    [{ highway: 'residential', vehicle: 'no' }, null],
    [{ highway: 'residential', access: 'agricultural' }, null],
    [{ highway: 'residential', access: 'destination' }, { forward: true, backward: true }],
    [{ highway: 'residential', access: 'permissive' }, { forward: true, backward: true }],
    [{ highway: 'residential', access: 'yes' }, { forward: true, backward: true }],
    [{ highway: 'residential', access: 'no', motor_vehicle: 'yes' }, { forward: true, backward: true }],
    [{ highway: 'residential', access: 'no', motorcar: 'destination' }, { forward: true, backward: true }],
    [{ highway: 'residential', motor_vehicle: 'no', motorcar: 'yes' }, { forward: true, backward: true }],
    [{ highway: 'residential', motor_vehicle: 'yes', motorcar: 'private' }, null],
    // direction
    [{ highway: 'residential', oneway: 'yes' }, { forward: true, backward: false }],
    [{ highway: 'residential', oneway: 'true' }, { forward: true, backward: false }],
    [{ highway: 'residential', oneway: '1' }, { forward: true, backward: false }],
    [{ highway: 'residential', oneway: '-1' }, { forward: false, backward: true }],
    [{ highway: 'residential', oneway: 'reverse' }, { forward: false, backward: true }],
    [{ highway: 'residential', oneway: 'no' }, { forward: true, backward: true }],
    [{ highway: 'residential', oneway: 'reversible' }, null],
    [{ highway: 'residential', oneway: 'alternating' }, null],
    [{ highway: 'residential', junction: 'roundabout' }, { forward: true, backward: false }],
    [{ highway: 'primary', junction: 'circular' }, { forward: true, backward: false }],
    [{ highway: 'primary', junction: 'roundabout', oneway: 'no' }, { forward: true, backward: true }],
    [{ highway: 'motorway' }, { forward: true, backward: false, speedKmh: 90 }],
    [{ highway: 'motorway_link' }, { forward: true, backward: false }],
    [{ highway: 'motorway', oneway: 'no' }, { forward: true, backward: true }],
    [{ highway: 'motorway', oneway: '-1' }, { forward: false, backward: true }],
    [{ highway: 'trunk' }, { forward: true, backward: true }],
    [{ highway: 'trunk_link' }, { forward: true, backward: true }],
    [{ highway: 'motorway', maxspeed: '65 mph' }, { forward: true, backward: false, speedKmh: 65 * 1.609344 }]
  ]
  for (const [tags, expected] of rows) {
    it(`${JSON.stringify(tags)} -> ${JSON.stringify(expected)}`, function () {
      const got = carWayRules(tags)
      if (expected === null) {
        expect(got).to.equal(null)
        return
      }
      expect(got).to.not.equal(null)
      expect(got?.forward).to.equal(expected.forward)
      expect(got?.backward).to.equal(expected.backward)
      expect(got?.highway).to.equal(tags.highway)
      if (expected.speedKmh !== undefined) expect(got?.speedKmh).to.be.closeTo(expected.speedKmh, 1e-9)
    })
  }

  it('takes default speeds from the given table', function () {
    expect(carWayRules({ highway: 'residential' }, { residential: 30 })?.speedKmh).to.equal(30)
    expect(carWayRules({ highway: 'primary' }, { residential: 30 })).to.equal(null)
    expect(carWayRules({ highway: 'service' }, { ...DEFAULT_SPEEDS_KMH, service: 0 })).to.equal(null)
  })
})
