import { expect } from 'chai'
import { openRoutedMap } from '../../../../node/map/index.js'
import { CellEstimator } from '../../../../node/roles/cell-estimate.js'
import { cellOf } from '../../../../protocol/index.js'
import { CITY } from '../../../integration/roles-fixtures.js'
import type { VehiclePlan } from '../../../../matching/index.js'
import type { RoutedMap } from '../../../../node/map/index.js'
import type { LatLon, RideRequest } from '../../../../protocol/index.js'

const { north: NORTH, south: SOUTH, east: EAST, west: WEST } = CITY
const NOW = 1_000_000_000

/*
 * The exact fit of a committed ride (issue 9: a driver confirmed on cells, and the abuse bench's
 * baseline lost rides whose exact points then missed the rider's own limits by a little: the
 * driver cancelled after the reveal, and in a city of one car the rider had nobody else).
 */
describe('node/roles/cell-estimate: fitting a committed ride', function () {
  this.timeout(60_000)
  let map: RoutedMap
  let estimator: CellEstimator

  before(async () => {
    map = await openRoutedMap()
    estimator = new CellEstimator({ map, insertion: { maxWaitS: 600 }, slackS: 180 })
  })

  const vertex = (p: LatLon): number => map.snap(p.lat, p.lon)!.node
  const idleAt = (p: LatLon): VehiclePlan => ({ position: vertex(p), time: NOW / 1000, capacity: 4, onboard: 0, stops: [] })
  const requestFor = (from: LatLon, to: LatLon, over: Partial<RideRequest> = {}): RideRequest => ({
    requestId: 'r', pickupCell: cellOf(from.lat, from.lon), dropoffCell: cellOf(to.lat, to.lon), seats: 1,
    latestPickupAt: NOW, maxPrice: '1', expiresAt: NOW + 60_000, currency: 'wei', ...over
  })
  const travelS = (a: LatLon, b: LatLon): number => map.router.route(vertex(a), vertex(b))!.durationS

  it('keeps the pickup time it confirmed, with the estimate\'s slack, even past the rider\'s own limit', () => {
    // the rider's own limit has passed (the car is minutes away), but the driver confirmed a
    // pickup in that many minutes: committed, it takes the ride
    const minutes = Math.ceil(travelS(WEST, NORTH) / 60)
    const request = requestFor(NORTH, SOUTH, { latestPickupAt: NOW })
    const points = { pickup: NORTH, dropoff: SOUTH }
    const uncommitted = estimator.fitExact(idleAt(WEST), 'k', points, request, 1, NOW)
    expect(uncommitted).to.deep.include({ ok: false, reason: 'wait-exceeded' })
    const committed = estimator.fitExact(idleAt(WEST), 'k', points, request, 1, NOW, { at: NOW, pickupMinutes: minutes, dropoffMinutes: minutes })
    expect(committed.ok).to.equal(true)
    // a commitment it could not keep even with the slack is still refused
    const far = estimator.fitExact(idleAt(WEST), 'k', points, request, 1, NOW + 10 * 60_000, { at: NOW, pickupMinutes: 0, dropoffMinutes: 0 })
    expect(far).to.deep.include({ ok: false, reason: 'wait-exceeded' })
  })

  it('never breaks a promise made to a rider already aboard, committed or not', () => {
    // the car at the north end, a rider aboard due at the east end with 5 s to spare, and a
    // committed pickup in the west due before the car could get there by way of the east end
    const strict = new CellEstimator({ map, insertion: { maxWaitS: 600 }, slackS: 0 })
    const aboard: VehiclePlan = {
      ...idleAt(NORTH),
      onboard: 1,
      stops: [{ kind: 'dropoff', requestId: 'aboard', location: vertex(EAST), seats: 1, latest: NOW / 1000 + travelS(NORTH, EAST) + 5 }]
    }
    expect(travelS(NORTH, EAST) + travelS(EAST, WEST)).to.be.greaterThan(travelS(NORTH, WEST) + 10)
    const request = requestFor(WEST, SOUTH, { latestPickupAt: NOW + (travelS(NORTH, WEST) + 10) * 1000 })
    const points = { pickup: WEST, dropoff: SOUTH }
    const commitment = { at: NOW, pickupMinutes: 0, dropoffMinutes: 0 }
    expect(strict.fitExact(idleAt(NORTH), 'k', points, request, 1, NOW, commitment).ok).to.equal(true)
    expect(strict.fitExact(aboard, 'k', points, request, 1, NOW, commitment)).to.deep.include({ ok: false, reason: 'would-delay-others' })
    expect(strict.fitExact(aboard, 'k', points, request, 1, NOW)).to.deep.include({ ok: false, reason: 'would-delay-others' })
  })

  it('drops the rider off by the dropoff minute it confirmed, even past the detour limit', () => {
    // the car at the north end with a rider aboard due at the east end soon; the new rider is
    // picked up where the car is and goes west: the only order that keeps the promise aboard
    // rides by way of the east end, longer than the exact direct ride allows (factor 1, no slack)
    const strict = new CellEstimator({ map, insertion: { maxWaitS: 600, maxDetourFactor: 1, detourSlackS: 0 }, slackS: 0 })
    const aboard: VehiclePlan = {
      ...idleAt(NORTH),
      onboard: 1,
      stops: [{ kind: 'dropoff', requestId: 'aboard', location: vertex(EAST), seats: 1, latest: NOW / 1000 + travelS(NORTH, EAST) + 5 }]
    }
    expect(travelS(NORTH, WEST) + travelS(WEST, EAST)).to.be.greaterThan(travelS(NORTH, EAST) + 10)
    const request = requestFor(NORTH, WEST, { latestPickupAt: NOW + 10_000 })
    const points = { pickup: NORTH, dropoff: WEST }
    const viaEast = travelS(NORTH, EAST) + travelS(EAST, WEST)
    expect(strict.fitExact(aboard, 'k', points, request, 1, NOW)).to.deep.include({ ok: false, reason: 'detour-exceeded' })
    const minutes = Math.ceil(viaEast / 60)
    const kept = strict.fitExact(aboard, 'k', points, request, 1, NOW, { at: NOW, pickupMinutes: 0, dropoffMinutes: minutes })
    expect(kept.ok).to.equal(true)
    if (kept.ok) expect(kept.insertion.dropoffTime).to.be.at.most(NOW / 1000 + minutes * 60)
    // a dropoff minute it could not keep is still refused
    const early = strict.fitExact(aboard, 'k', points, request, 1, NOW, { at: NOW, pickupMinutes: 0, dropoffMinutes: Math.floor(viaEast / 60) - 1 })
    expect(early).to.deep.include({ ok: false, reason: 'detour-exceeded' })
  })

  it('refuses exact points outside the cells the rider asked from (attack: a commitment for a ride never estimated)', () => {
    const request = requestFor(NORTH, SOUTH, { latestPickupAt: NOW + 30 * 60_000 })
    const commitment = { at: NOW, pickupMinutes: 30, dropoffMinutes: 60 }
    // the cells are right, the points are not: the ride the driver estimated was north → south
    expect(cellOf(SOUTH.lat, SOUTH.lon)).to.not.equal(request.pickupCell)
    expect(estimator.fitExact(idleAt(NORTH), 'k', { pickup: SOUTH, dropoff: SOUTH }, request, 1, NOW, commitment))
      .to.deep.equal({ ok: false, reason: 'outside-cells' })
    expect(estimator.fitExact(idleAt(NORTH), 'k', { pickup: NORTH, dropoff: NORTH }, request, 1, NOW, commitment))
      .to.deep.equal({ ok: false, reason: 'outside-cells' })
    // points elsewhere in the same cells are the rider's right
    expect(estimator.fitExact(idleAt(NORTH), 'k', { pickup: EAST, dropoff: WEST }, request, 1, NOW, commitment).ok).to.equal(true)
  })
})
