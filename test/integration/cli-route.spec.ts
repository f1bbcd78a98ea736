import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { requireSharedData, sharedData } from '../fixtures/shared-data.js'
import { runHitch } from '../fixtures/run-cli.js'

describe('hitch route (the command, as a user runs it)', function () {
  if (!requireSharedData(this, 'maps/monaco.osm.pbf')) return
  const map = sharedData('maps/monaco.osm.pbf')
  let dir: string
  let env: NodeJS.ProcessEnv

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hitch-cli-route-'))
    env = { HITCH_CACHE_DIR: join(dir, 'cache') }
  })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('prints distance, duration and the path as JSON, by time and by distance', async () => {
    const byTime = await runHitch(['route', '--map', map, '--from', '43.7384,7.4246', '--to', '43.7311,7.4197', '--json'], { env })
    expect(byTime.code, byTime.stderr).to.equal(0)
    const t = JSON.parse(byTime.stdout)
    expect(t.distance_m).to.be.greaterThan(500)
    expect(t.duration_s).to.be.greaterThan(30)
    expect(t.path.length).to.be.greaterThan(2)
    const byDist = await runHitch(['route', '--map', map, '--from', '43.7384,7.4246', '--to', '43.7311,7.4197', '--by', 'distance', '--json'], { env })
    const d = JSON.parse(byDist.stdout)
    // the shortest path is never longer than the fastest, and never faster
    expect(d.distance_m).to.be.at.most(t.distance_m)
    expect(d.duration_s).to.be.at.least(t.duration_s)
  })

  it('routes a pairs file line by line; a bad pair gets an error and does not stop the others', async () => {
    const csv = join(dir, 'pairs.csv')
    await writeFile(csv, [
      'from_lat,from_lon,to_lat,to_lon',
      '43.7384,7.4246,43.7311,7.4197',
      '43.7384,7.4246,10.0,10.0', // off the map
      'x,7.4246,43.7311,7.4197', // unparsable
      '43.7311,7.4197,43.7384,7.4246'
    ].join('\n'))
    const res = await runHitch(['route', '--map', map, '--pairs', csv, '--json'], { env })
    expect(res.code, res.stderr).to.equal(0)
    const lines = res.stdout.trim().split('\n').map(l => JSON.parse(l))
    expect(lines.map(l => l.i)).to.deep.equal([0, 1, 2, 3])
    expect(lines[0].distance_m).to.be.greaterThan(0)
    expect(lines[1].error).to.match(/off the map/)
    expect(lines[2].error).to.be.a('string')
    expect(lines[3].duration_s).to.be.greaterThan(0)
  })

  const bad: Array<[string, string[]]> = [
    ['a missing map file', ['--map', '/nonexistent/x.osm.pbf', '--from', '43.7384,7.4246', '--to', '43.7311,7.4197']],
    ['a corrupt map file', ['--map', 'package.json', '--from', '43.7384,7.4246', '--to', '43.7311,7.4197']],
    ['unparsable coordinates', ['--map', map, '--from', 'north', '--to', '43.7311,7.4197']],
    ['a latitude out of range', ['--map', map, '--from', '93.7384,7.4246', '--to', '43.7311,7.4197']],
    ['a longitude out of range', ['--map', map, '--from', '43.7384,187.4246', '--to', '43.7311,7.4197']],
    ['an unknown --by', ['--map', map, '--from', '43.7384,7.4246', '--to', '43.7311,7.4197', '--by', 'beauty']]
  ]
  for (const [what, args] of bad) {
    it(`${what}: one line on stderr, non-zero exit, no stack trace`, async () => {
      const res = await runHitch(['route', ...args], { env })
      expect(res.code).to.not.equal(0)
      expect(res.stderr.trim().split('\n')).to.have.length(1)
      expect(res.stderr).to.match(/^hitch: /)
      expect(res.stderr).to.not.match(/\bat .*\.(js|ts):\d+/)
    })
  }
})
