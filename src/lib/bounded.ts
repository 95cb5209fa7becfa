/**
 * Isolate caches stay bounded by evicting their oldest entry (a Map iterates in insertion order),
 * not by clearing: a full cache on a busy shared sandbox must not turn into a burst of misses for
 * every tenant at once.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  if (map.size >= max) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}
