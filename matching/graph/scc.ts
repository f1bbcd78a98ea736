/** Strongly connected components of a CSR graph. */
export interface Components {
  /** Component id of each vertex, 0..count-1. */
  readonly component: Uint32Array
  /** Number of components. */
  readonly count: number
  /** Number of vertices in each component. */
  readonly size: Uint32Array
}

/**
 * Tarjan's algorithm, iterative (an explicit call stack instead of
 * recursion), so that graphs of millions of vertices cannot overflow the JS
 * stack. O(n + m) time and a few typed arrays of n entries.
 */
export function stronglyConnectedComponents (numNodes: number, firstOut: ArrayLike<number>, head: ArrayLike<number>): Components {
  const n = numNodes
  const index = new Int32Array(n).fill(-1)
  const low = new Uint32Array(n)
  const onStack = new Uint8Array(n)
  const stack = new Uint32Array(n)
  const callStack = new Uint32Array(n)
  const nextEdge = new Uint32Array(n)
  const component = new Uint32Array(n)
  const sizes: number[] = []
  let sp = 0
  let counter = 0

  for (let s = 0; s < n; s++) {
    if (index[s] !== -1) continue
    let csp = 0
    index[s] = low[s] = counter++
    stack[sp++] = s
    onStack[s] = 1
    nextEdge[s] = firstOut[s]
    callStack[csp++] = s
    while (csp > 0) {
      const v = callStack[csp - 1]
      if (nextEdge[v] < firstOut[v + 1]) {
        const w = head[nextEdge[v]++]
        if (index[w] === -1) {
          index[w] = low[w] = counter++
          stack[sp++] = w
          onStack[w] = 1
          nextEdge[w] = firstOut[w]
          callStack[csp++] = w
        } else if (onStack[w] === 1 && index[w] < low[v]) {
          low[v] = index[w]
        }
      } else {
        csp--
        if (low[v] === index[v]) {
          const id = sizes.length
          let size = 0
          let w: number
          do {
            w = stack[--sp]
            onStack[w] = 0
            component[w] = id
            size++
          } while (w !== v)
          sizes.push(size)
        }
        if (csp > 0) {
          const u = callStack[csp - 1]
          if (low[v] < low[u]) low[u] = low[v]
        }
      }
    }
  }
  return { component, count: sizes.length, size: Uint32Array.from(sizes) }
}

/** True when every vertex can reach every other (an empty graph counts as connected). */
export function isStronglyConnected (numNodes: number, firstOut: ArrayLike<number>, head: ArrayLike<number>): boolean {
  return stronglyConnectedComponents(numNodes, firstOut, head).count <= 1
}
