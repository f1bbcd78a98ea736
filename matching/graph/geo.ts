/** Mean earth radius (IUGG), metres. */
export const EARTH_RADIUS_M = 6371008.8

const RAD = Math.PI / 180

/** Great-circle distance between two points, metres (haversine). */
export function haversineM (lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = (lat2 - lat1) * RAD
  const dLon = (lon2 - lon1) * RAD
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(s)))
}

/** Edge length in centimetres as stored in a RoadGraph: rounded, at least 1. */
export function toDistCm (metres: number): number {
  return Math.max(1, Math.round(metres * 100))
}

/** Travel time in milliseconds as stored in a RoadGraph: rounded, at least 1. */
export function toTimeMs (metres: number, speedKmh: number): number {
  return Math.max(1, Math.round(metres / (speedKmh / 3.6) * 1000))
}
