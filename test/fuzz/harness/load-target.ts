import type { FuzzTarget } from './target.js'

/** Loads a registered target by name, or the `target` export of a module (the self-test's planted targets). */
export async function loadTarget (name: string, module?: string): Promise<FuzzTarget> {
  if (module != null) {
    const m = await import(module)
    const target = (m.targets as FuzzTarget[] | undefined)?.find(t => t.name === name) ?? m.target
    if (target == null) throw new Error(`${module} has no target ${name}`)
    return target
  }
  const { TARGETS } = await import('../targets/index.js')
  const target = TARGETS.find(t => t.name === name)
  if (target == null) throw new Error(`no fuzz target "${name}" (targets: ${TARGETS.map(t => t.name).join(', ')})`)
  return target
}
