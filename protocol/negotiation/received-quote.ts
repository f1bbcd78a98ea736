import type { Quote } from '../pb/messages.js'

/** A quote and the driver that sent it. */
export interface ReceivedQuote {
  /** the driver's peer id */
  from: string
  quote: Quote
  /** the rider's clock when the quote arrived: its minutes count from here */
  at: number
}
