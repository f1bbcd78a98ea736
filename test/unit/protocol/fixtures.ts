import { generateKeyPair } from '@libp2p/crypto/keys'
import { cellOf } from '../../../protocol/topics.js'
import type { HitchMessage } from '../../../protocol/hitch-message.js'
import { Cancel, Decline, TripUpdate } from '../../../protocol/pb/messages.js'
import type { IdentityBinding } from '../../../protocol/pb/messages.js'
import type { PrivateKey } from '@libp2p/interface'

export const NOW = 1_750_000_000_000
export const BERLIN = { lat: 52.52, lon: 13.405 }
export const BERLIN_CELL = cellOf(BERLIN.lat, BERLIN.lon)
export const POTSDAM_CELL = cellOf(52.3906, 13.0645)

export async function secpKey (): Promise<PrivateKey> {
  return generateKeyPair('secp256k1')
}

let counter = 0
/** Distinct deterministic nonces. */
export function nonce (): Uint8Array {
  counter++
  const n = new Uint8Array(16)
  new DataView(n.buffer).setUint32(0, counter)
  return n
}

export function offer (over: Partial<Extract<HitchMessage, { type: 'vehicle-offer' }>['body']> = {}): HitchMessage {
  return {
    type: 'vehicle-offer',
    body: {
      cell: BERLIN_CELL,
      freeSeats: 3,
      capacity: 4,
      fare: { currency: 'wei', base: '1000', perKm: '500', perMinute: '20' },
      vehicle: 'blue hatchback',
      expiresAt: NOW + 30_000,
      ...over
    }
  }
}

export function request (over: Partial<Extract<HitchMessage, { type: 'ride-request' }>['body']> = {}): HitchMessage {
  return {
    type: 'ride-request',
    body: {
      requestId: 'req-1',
      pickupCell: BERLIN_CELL,
      dropoffCell: POTSDAM_CELL,
      seats: 1,
      latestPickupAt: NOW + 600_000,
      maxPrice: '100000',
      expiresAt: NOW + 60_000,
      currency: 'wei',
      ...over
    }
  }
}

export function quote (over: Partial<Extract<HitchMessage, { type: 'quote' }>['body']> = {}): HitchMessage {
  return {
    type: 'quote',
    body: {
      requestId: 'req-1',
      quoteId: 'q-1',
      price: '5000',
      pickupMinutes: 2,
      dropoffMinutes: 20,
      expiresAt: NOW + 30_000,
      pooled: false,
      currency: 'wei',
      seats: 1,
      ...over
    }
  }
}

export function accept (over: Partial<Extract<HitchMessage, { type: 'accept' }>['body']> = {}): HitchMessage {
  return {
    type: 'accept',
    body: {
      requestId: 'req-1',
      quoteId: 'q-1',
      seats: 1,
      ...over
    }
  }
}

export function confirm (over: Partial<Extract<HitchMessage, { type: 'confirm' }>['body']> = {}): HitchMessage {
  return { type: 'confirm', body: { requestId: 'req-1', quoteId: 'q-1', pickupMinutes: 3, ...over } }
}

/** A binding of the right shape (its signature is not checked by validation). */
export function bindingShape (over: Partial<IdentityBinding> = {}): IdentityBinding {
  return {
    peerId: '16Uiu2HAmRider1111111111111111111111111111111111111111',
    address: '0x' + 'ab'.repeat(20),
    requestId: 'req-1',
    issuedAt: NOW,
    signature: new Uint8Array(65),
    ...over
  }
}

export function reveal (over: Partial<Extract<HitchMessage, { type: 'reveal' }>['body']> = {}): HitchMessage {
  return {
    type: 'reveal',
    body: {
      requestId: 'req-1',
      quoteId: 'q-1',
      pickup: { lat: 52.5201, lon: 13.4049 },
      dropoff: { lat: 52.391, lon: 13.065 },
      binding: bindingShape(),
      ...over
    }
  }
}

export function tripUpdate (): HitchMessage {
  return {
    type: 'trip-update',
    body: { requestId: 'req-1', phase: TripUpdate.Phase.POSITION, position: { lat: 52.5, lon: 13.4 }, time: NOW, distanceM: 1200 }
  }
}

export function decline (): HitchMessage {
  return { type: 'decline', body: { requestId: 'req-1', quoteId: 'q-1', reason: Decline.Reason.NO_SEATS } }
}

export function cancel (): HitchMessage {
  return { type: 'cancel', body: { requestId: 'req-1', reason: Cancel.Reason.RIDER_CANCELLED, note: '' } }
}
