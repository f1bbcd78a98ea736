/**
 * Targets with planted defects, for the fuzzer's own test (`harness.spec.ts`): each hides one
 * kind of finding behind one leading byte, so the test can check that the loop, the runner and
 * its watchdog report every kind, with the input that caused it, and carry on.
 */
import { refused, type FuzzTarget, type TargetRun } from './harness/target.js'

/** The leading byte of each planted defect. */
export const PLANTED = { crash: 0x42, block: 0x43, wait: 0x44, refuse: 0x45, oom: 0x46 } as const

function planted (name: string, byte: number, trigger: (input: Uint8Array) => void | Promise<void>): FuzzTarget<Uint8Array> {
  return {
    name,
    description: `planted defect: ${name}`,
    cheap: true,
    timeoutMs: 300,
    async setup (): Promise<TargetRun<Uint8Array>> {
      return {
        seeds: [Uint8Array.of(0, 1, 2)],
        // one input in 100 starts with the planted byte
        generate: rng => Uint8Array.of(rng.chance(0.01) ? byte : rng.int(0x40), ...rng.bytes(rng.int(8))),
        execute: async input => {
          await trigger(input)
          return `ok:${input[0] % 4}`
        },
        serialize: b => b,
        deserialize: b => b,
        stateless: true,
        close: async () => {}
      }
    }
  }
}

export const targets: FuzzTarget[] = [
  planted('planted-crash', PLANTED.crash, input => {
    if (input[0] === PLANTED.crash) (undefined as any).boom()
  }),
  planted('planted-block', PLANTED.block, input => {
    if (input[0] === PLANTED.block) for (;;) { /* holds the event loop */ }
  }),
  planted('planted-wait', PLANTED.wait, async input => {
    if (input[0] === PLANTED.wait) await new Promise(() => {})
  }),
  planted('planted-refuse', PLANTED.refuse, input => {
    if (input[0] === PLANTED.refuse) throw refused('planted: accepted what it should refuse', 'planted')
  }),
  planted('planted-oom', PLANTED.oom, input => {
    if (input[0] === PLANTED.oom) {
      const hoard: unknown[] = []
      for (;;) hoard.push(new Array(1 << 20).fill({}))
    }
  })
]
