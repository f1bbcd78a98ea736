/**
 * A TCP probe run inside a namespace (`node probe.js ...`), for the plain reachability checks of
 * the NAT topology. It prints JSON lines:
 *
 * - `listen HOST PORT`: `{"event":"listening","port":N}`, then `{"event":"accepted","remote":"IP"}`
 *   for each connection (so a test sees which address a NAT made of the caller); runs until killed.
 * - `connect HOST PORT TIMEOUT_MS`: `{"ok":true}` or `{"ok":false,"code":"ECONNREFUSED"|"ETIMEDOUT"|…}`;
 *   a dropped SYN is a timeout. Exits 0 either way.
 */
import { connect, createServer } from 'node:net'

function print (line: object): void {
  process.stdout.write(JSON.stringify(line) + '\n')
}

const [mode, host, port, timeout] = process.argv.slice(2)
if (mode === 'listen') {
  const server = createServer(socket => {
    print({ event: 'accepted', remote: socket.remoteAddress })
    socket.end()
  })
  server.listen(Number(port), host, () => {
    const address = server.address()
    print({ event: 'listening', port: typeof address === 'object' && address != null ? address.port : Number(port) })
  })
} else if (mode === 'connect') {
  const socket = connect({ host, port: Number(port) })
  const timer = setTimeout(() => { socket.destroy(); print({ ok: false, code: 'ETIMEDOUT' }) }, Number(timeout ?? 2000))
  socket.once('connect', () => { clearTimeout(timer); socket.destroy(); print({ ok: true }) })
  socket.once('error', (err: NodeJS.ErrnoException) => { clearTimeout(timer); print({ ok: false, code: err.code }) })
} else {
  process.stderr.write('usage: probe.js listen HOST PORT | connect HOST PORT TIMEOUT_MS\n')
  process.exitCode = 2
}
