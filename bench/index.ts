/**
 * `npm run bench -- <name> [args]`: runs one benchmark and prints its figures.
 * Each benchmark is a module in this folder exporting `run(args: string[])`.
 */
const BENCHES: Record<string, () => Promise<{ run: (args: string[]) => Promise<void> }>> = {
  route: async () => await import('./route.js'),
  insertion: async () => await import('./insertion.js'),
  'channel-gas': async () => await import('./channel-gas.js'),
  channel: async () => await import('./channel.js'),
  sim: async () => await import('./sim.js'),
  doors: async () => await import('./doors.js'),
  abuse: async () => await import('./abuse.js'),
  keys: async () => await import('./keys.js')
}

const [name, ...args] = process.argv.slice(2)
if (name == null || BENCHES[name] == null) {
  console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [args]`)
  process.exit(2)
}
const mod = await BENCHES[name]()
await mod.run(args)
