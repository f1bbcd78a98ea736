/**
 * The one conversion between fares and channel amounts. Fares are integer cents (`usd-cent`,
 * see matching/pricing); channel states hold wei. There is no price oracle: a Hitch network
 * agrees on this rate the way it agrees on the adjudicator.
 */
import { InvalidAmountError, UnsupportedCurrencyError } from './errors.js'

/**
 * Wei per cent of a fare: 1 cent = 10^13 wei, so 1 USD = 10^15 wei = 0.001 ether.
 * @default 10_000_000_000_000n
 */
export const WEI_PER_CENT = 10n ** 13n

/** The currency fares are quoted in, the only one channels pay. */
export const PAYABLE_CURRENCY = 'usd-cent'

/** Wei of an amount of `currency` units (integer string, number or bigint). */
export function toWei (amount: string | number | bigint, currency: string = PAYABLE_CURRENCY): bigint {
  if (currency !== PAYABLE_CURRENCY) {
    throw new UnsupportedCurrencyError(`channels pay ${PAYABLE_CURRENCY} fares only, not ${currency}`)
  }
  let cents: bigint
  try {
    cents = BigInt(amount)
  } catch (err) {
    throw new InvalidAmountError(`not an integer amount: ${String(amount)}`, { cause: err })
  }
  if (cents < 0n) throw new InvalidAmountError(`negative amount: ${String(amount)}`)
  return cents * WEI_PER_CENT
}

/** Cents of an amount of wei, rounded down (for display). */
export function weiToCents (wei: bigint): bigint {
  return wei / WEI_PER_CENT
}
