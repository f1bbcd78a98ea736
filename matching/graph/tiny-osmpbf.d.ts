// Types for the parts of tiny-osmpbf (a CommonJS package without types) that Hitch uses.
declare module 'tiny-osmpbf' {
  namespace tinyosmpbf {
    interface OsmNode { type: 'node', id: number, lat: number, lon: number, tags: Record<string, string> }
    interface OsmWay { type: 'way', id: number, nodes: number[], tags: Record<string, string> }
    interface OsmRelation { type: 'relation', id: number, tags: Record<string, string>, members: Array<{ type: string, ref: number, role: string }> }
    type OsmElement = OsmNode | OsmWay | OsmRelation
    interface OsmJson { version: number, generator: string, bounds?: { minlat: number, minlon: number, maxlat: number, maxlon: number }, elements?: OsmElement[] }
  }
  function tinyosmpbf (data: Uint8Array, handler?: (element: tinyosmpbf.OsmElement) => void): tinyosmpbf.OsmJson
  export = tinyosmpbf
}
