/**
 * @packageDocumentation
 *
 * Paying for rides through payment channels: the `PaymentHooks` of each role on a node's
 * `ChannelManager`, and the one conversion of fares (integer cents) to wei.
 */
export { RiderPayments, DEFAULT_PAY_EVERY_M, type RiderPaymentsInit, type RidePayment } from './rider-payments.js'
export { DriverPayments, DEFAULT_ARREARS_GRACE_MS, DEFAULT_MAX_ARREARS_STEPS, type DriverPaymentsInit } from './driver-payments.js'
export { WEI_PER_CENT, PAYABLE_CURRENCY, toWei, weiToCents } from './units.js'
export { PaymentError, UnsupportedCurrencyError, InvalidAmountError, UnknownRideError, NoChannelError, type PaymentErrorCode } from './errors.js'
export type { PaymentEvents } from './events.js'
export { startChannelManager, type NodeChannelManagerInit } from './start.js'
