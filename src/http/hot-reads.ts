/**
 * What the cache needs to hear of changes (src/db/changes.ts ChangeFeed): whether it hears every
 * one right now, and each change as it comes; orgId null means "anything may have changed".
 */
export interface ChangeSource {
  readonly live: boolean;
  onChange(listener: (topic: string, orgId: string | null) => void): void;
}

export interface HotReadsOptions {
  /** Entries kept at most; the least recently used go first. */
  maxEntries?: number;
  /** A body longer than this (characters) is served but not kept. */
  maxBodyLength?: number;
}

interface Entry {
  body: string;
  group: string;
}

/**
 * Serialized responses of hot reads (e.g. GET /agents), per organization, topic and query, kept
 * until a change of that topic in that organization is heard (decision 59). A read that began
 * before a change keeps its answer out of the cache (each group counts its changes); while the
 * change source is not live, nothing is kept or served from here. Identical reads that arrive
 * together share one load.
 */
export class HotReads {
  readonly #entries = new Map<string, Entry>();
  /** Changes heard per topic and organization ("topic|org"), and of everything. */
  readonly #generations = new Map<string, number>();
  #epoch = 0;
  /** Keys of the entries of each group, to forget them together. */
  readonly #members = new Map<string, Set<string>>();
  readonly #loading = new Map<string, Promise<string>>();
  readonly #maxEntries: number;
  readonly #maxBodyLength: number;
  hits = 0;
  misses = 0;

  constructor(
    private readonly changes: ChangeSource,
    options: HotReadsOptions = {},
  ) {
    this.#maxEntries = options.maxEntries ?? 5000;
    this.#maxBodyLength = options.maxBodyLength ?? 256 * 1024;
    changes.onChange((topic, orgId) => (orgId === null ? this.#forgetAll() : this.#forget(`${topic}|${orgId}`)));
  }

  /**
   * The body for (topic, orgId, key): from the cache, or `load()` then `serialize()`, kept when no
   * change of the group was heard meanwhile. `key` must name everything else the body depends on.
   */
  async get<T>(topic: string, orgId: string, key: string, load: () => Promise<T>, serialize: (value: T) => string): Promise<string> {
    if (!this.changes.live) {
      this.misses++;
      return serialize(await load());
    }
    const group = `${topic}|${orgId}`;
    const id = `${group}|${key}`;
    const hit = this.#entries.get(id);
    if (hit) {
      // Most recently used last: Map keeps insertion order.
      this.#entries.delete(id);
      this.#entries.set(id, hit);
      this.hits++;
      return hit.body;
    }
    this.misses++;
    const generation = this.#generationOf(group);
    const loadKey = `${id}|${generation}`;
    const pending = this.#loading.get(loadKey);
    if (pending) return pending;
    const loading = (async () => {
      const body = serialize(await load());
      if (this.changes.live && this.#generationOf(group) === generation && body.length <= this.#maxBodyLength) this.#keep(id, group, body);
      return body;
    })();
    this.#loading.set(loadKey, loading);
    try {
      return await loading;
    } finally {
      this.#loading.delete(loadKey);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  #generationOf(group: string): string {
    return `${this.#epoch}.${this.#generations.get(group) ?? 0}`;
  }

  #keep(id: string, group: string, body: string): void {
    this.#entries.set(id, { body, group });
    let members = this.#members.get(group);
    if (!members) this.#members.set(group, (members = new Set()));
    members.add(id);
    while (this.#entries.size > this.#maxEntries) {
      const [oldest, entry] = this.#entries.entries().next().value as [string, Entry];
      this.#entries.delete(oldest);
      const set = this.#members.get(entry.group);
      set?.delete(oldest);
      if (set?.size === 0) this.#members.delete(entry.group);
    }
  }

  #forget(group: string): void {
    this.#generations.set(group, (this.#generations.get(group) ?? 0) + 1);
    const members = this.#members.get(group);
    if (!members) return;
    for (const id of members) this.#entries.delete(id);
    this.#members.delete(group);
  }

  #forgetAll(): void {
    this.#epoch++;
    this.#generations.clear();
    this.#entries.clear();
    this.#members.clear();
  }
}
