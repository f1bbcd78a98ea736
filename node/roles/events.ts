/**
 * A typed event target: `on('quote', e => e.detail ...)` with the detail typed per event
 * name. Events are `CustomEvent`s, so plain `addEventListener` works too.
 */
export class TypedEvents<EventMap extends object> extends EventTarget {
  /** Listen to one kind of event; returns a function that stops listening. */
  on<K extends keyof EventMap & string> (type: K, listener: (detail: EventMap[K]) => void): () => void {
    const wrapped = (evt: Event): void => { listener((evt as CustomEvent<EventMap[K]>).detail) }
    this.addEventListener(type, wrapped)
    return () => { this.removeEventListener(type, wrapped) }
  }

  /** Listen to every event (for `--json` lines); returns a function that stops listening. */
  onAny (types: ReadonlyArray<keyof EventMap & string>, listener: <K extends keyof EventMap & string>(type: K, detail: EventMap[K]) => void): () => void {
    const offs = types.map(type => this.on(type, detail => { listener(type, detail) }))
    return () => { for (const off of offs) off() }
  }

  /** Dispatch an event (the roles use it; listeners' exceptions do not reach the role). */
  emit<K extends keyof EventMap & string> (type: K, detail: EventMap[K]): void {
    this.dispatchEvent(new CustomEvent(type, { detail }))
  }
}
