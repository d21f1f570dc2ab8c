/**
 * realtime-sync.js: RealtimeSync's browser client for the hub at /hubs/sync (docs/architecture.md, "Real-time").
 * An ES module with no build step and no imports: it drives the SignalR client you hand it.
 *
 * In a browser, load the SignalR client the host serves, then import this module:
 *
 *   <script src="/lib/signalr/signalr.min.js"></script>   (defines globalThis.signalR)
 *   <script type="module">
 *     import { createRealtimeClient } from '/realtime-sync.js';
 *     const client = createRealtimeClient({ accessTokenFactory: () => token });
 *     client.onStateChange(state => badge.textContent = state);
 *     await client.start();
 *     const sub = await client.subscribe('demo/entities/team', publication => render(publication), {
 *       onResync: info => refetchEverything(),   // the history no longer covers what was missed
 *     });
 *     // later: await sub.unsubscribe(); await client.stop();
 *   </script>
 *
 * In Node: createRealtimeClient({ url: 'http://host:port/hubs/sync', signalR: require('@microsoft/signalr'), ... }).
 *
 * createRealtimeClient(options) options:
 *   url                 hub URL, default '/hubs/sync'.
 *   accessTokenFactory  () => token | Promise<token>; called for every (re)connect, so it may refresh.
 *   signalR             the @microsoft/signalr module, default globalThis.signalR.
 *   logger              a SignalR log level or ILogger for the SignalR connection, default Warning. This
 *                       module's own warnings go to console.warn unless `log` is given.
 *   log                 (level: 'debug'|'warn'|'error', message: string, error?) => void.
 *   skipNegotiation     connect straight to WebSockets (no negotiate request); default false, which
 *                       still tries WebSockets first and falls back to other transports.
 *   maxRetryDelayMs     cap of the reconnect backoff, default 10000.
 *   protocol            'json' (default) or 'messagepack' (see "MessagePack" at the end of this file).
 *   msgpack             the @microsoft/signalr-protocol-msgpack module, default globalThis.signalR.protocols.msgpack.
 *
 * The returned client:
 *   start() → Promise       connects; resolves once connected (keeps retrying until then, or until stop()).
 *   stop() → Promise        disconnects for good; subscriptions are kept and resumed by a later start().
 *   state                   'disconnected' | 'connecting' | 'connected' | 'reconnecting'.
 *   onStateChange(cb) → off cb(state) on every state change.
 *   onError(cb) → off       cb(error) for connection failures and refusals of re-subscriptions.
 *   onResync(channel, cb) → off
 *                           cb(info) when the channel's history no longer covers what this client missed
 *                           (or the server lost it: new epoch). The app must refetch its state; delivery
 *                           then continues after info.offset. info = {channel, epoch, offset, previous, reason}.
 *   subscribe(channel, onPublication, { onResync, onRecovered, onError, since }) → Promise<Subscription>
 *                           resolves once the server accepted the subscription; rejects with the server's
 *                           message ("Not allowed: ..." / "'x' is not a valid channel name.") when refused.
 *                           onPublication(publication) gets {channel, epoch, offset, type, data}, exactly once
 *                           per offset and in offset order, across reconnects.
 *                           onRecovered(info) after a re-subscribe recovered missed publications:
 *                           info = {channel, reason: 'reconnect'|'gap', since, recovered, epoch, offset}.
 *                           since: a position {epoch, offset} saved earlier, to resume from it.
 *   Subscription: { channel, position → {epoch, offset}, unsubscribe() → Promise }.
 *
 * Guarantees, per channel: the client remembers {epoch, offset} of the last publication it delivered. On every
 * (re)connect it re-subscribes with `since` = that position and delivers the recovered publications, then the
 * live ones; live publications that arrive before the Subscribe result are buffered, offsets already delivered
 * are dropped. A live publication that skips offsets (a gap) or carries another epoch triggers the same
 * re-subscribe. When the server answers resyncRequired the resync callbacks run (not awaited) and delivery
 * continues from the server's current position, so an app applying changes must tolerate seeing a change its
 * refetch already contains (compare versions).
 */

const Connected = 'Connected';

export function createRealtimeClient({
  url = '/hubs/sync',
  accessTokenFactory,
  signalR = globalThis.signalR,
  logger,
  log,
  skipNegotiation = false,
  maxRetryDelayMs = 10000,
  protocol = 'json',
  msgpack = globalThis.signalR?.protocols?.msgpack,
} = {}) {
  if (!signalR || typeof signalR.HubConnectionBuilder !== 'function') {
    throw new Error('realtime-sync: the SignalR client is missing. Load /lib/signalr/signalr.min.js before this module, or pass { signalR }.');
  }

  const write = log ?? ((level, message, error) => {
    if (level !== 'debug') {
      console.warn(`[realtime-sync] ${message}`, error ?? '');
    }
  });

  /** Exponential backoff with jitter, capped; never gives up. */
  const backoff = attempt => {
    if (attempt <= 0) {
      return 0;
    }
    const base = Math.min(maxRetryDelayMs, 250 * 2 ** Math.min(attempt, 16));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  };

  const connectionOptions = { skipNegotiation };
  if (accessTokenFactory) {
    connectionOptions.accessTokenFactory = accessTokenFactory;
  }
  if (skipNegotiation) {
    connectionOptions.transport = signalR.HttpTransportType.WebSockets;
  }

  const connection = new signalR.HubConnectionBuilder()
    .withUrl(url, connectionOptions)
    .withAutomaticReconnect({ nextRetryDelayInMilliseconds: context => backoff(context.previousRetryCount) })
    .withHubProtocol(hubProtocol(signalR, protocol, msgpack))
    .configureLogging(logger ?? signalR.LogLevel.Warning)
    .build();

  /** @type {Map<string, Channel>} */
  const channels = new Map();
  const stateListeners = new Set();
  const errorListeners = new Set();
  /** @type {Map<string, Set<Function>>} */
  const resyncListeners = new Map();

  let state = 'disconnected';
  let running = false;
  let startPromise = null;
  let restartTimer = null;

  const setState = next => {
    if (next === state) {
      return;
    }
    state = next;
    for (const cb of [...stateListeners]) {
      safely(() => cb(next), 'a state listener failed');
    }
  };

  const reportError = error => {
    for (const cb of [...errorListeners]) {
      safely(() => cb(error), 'an error listener failed');
    }
  };

  function safely(action, what) {
    try {
      const result = action();
      if (result && typeof result.catch === 'function') {
        result.catch(e => write('error', what, e));
      }
    } catch (e) {
      write('error', what, e);
    }
  }

  const sleep = ms => new Promise(resolve => { restartTimer = setTimeout(resolve, ms); });

  /** Connects, retrying with backoff until connected or stopped. */
  async function connectLoop() {
    for (let attempt = 0; running; attempt++) {
      if (attempt > 0) {
        await sleep(backoff(attempt));
        if (!running) {
          return;
        }
      }
      try {
        await connection.start();
      } catch (e) {
        if (!running) {
          return;
        }
        write('warn', `connecting to ${url} failed (attempt ${attempt + 1})`, e);
        reportError(e);
        continue;
      }
      if (!running) {
        await connection.stop();
        return;
      }
      setState('connected');
      for (const channel of channels.values()) {
        resubscribe(channel, channel.ready ? 'reconnect' : 'subscribe');
      }
      return;
    }
  }

  connection.onreconnecting(error => {
    write('debug', 'connection lost, reconnecting', error);
    setState('reconnecting');
  });

  connection.onreconnected(() => {
    setState('connected');
    for (const channel of channels.values()) {
      resubscribe(channel, channel.ready ? 'reconnect' : 'subscribe');
    }
  });

  // withAutomaticReconnect never gives up here, but the connection can still close for good (the server
  // closed it without allowing a reconnect, or the first connect after a restart failed): start over.
  connection.onclose(error => {
    if (!running) {
      setState('disconnected');
      return;
    }
    write('warn', 'connection closed, starting again', error);
    setState('reconnecting');
    startPromise = connectLoop();
  });

  connection.on('publication', publication => {
    const channel = channels.get(publication?.channel);
    if (channel) {
      route(channel, publication);
    }
  });

  /**
   * @typedef {{name: string, subs: Set<object>, epoch: string|null, offset: number, ready: boolean,
   *   subscribing: boolean, again: string|null, buffer: object[], waiters: {resolve: Function, reject: Function}[],
   *   failures: number}} Channel
   */
  function newChannel(name, since) {
    return {
      name,
      subs: new Set(),
      epoch: since?.epoch ?? null,
      offset: since?.offset ?? 0,
      ready: false,
      subscribing: false,
      again: null,
      buffer: [],
      waiters: [],
      failures: 0,
    };
  }

  function route(channel, publication) {
    if (channel.subscribing) {
      channel.buffer.push(publication);
    } else {
      accept(channel, publication);
    }
  }

  function accept(channel, publication) {
    if (publication.epoch !== channel.epoch) {
      write('debug', `${channel.name}: publication of epoch ${publication.epoch}, expected ${channel.epoch}`);
      resubscribe(channel, 'epoch');
      channel.buffer.push(publication);
      return;
    }
    if (publication.offset <= channel.offset) {
      return; // already delivered (it was both recovered and sent live)
    }
    if (publication.offset > channel.offset + 1) {
      write('debug', `${channel.name}: gap, expected offset ${channel.offset + 1}, got ${publication.offset}`);
      resubscribe(channel, 'gap');
      channel.buffer.push(publication);
      return;
    }
    deliver(channel, publication);
  }

  function deliver(channel, publication) {
    channel.offset = publication.offset;
    for (const sub of [...channel.subs]) {
      safely(() => sub.onPublication?.(publication), `a publication handler of ${channel.name} failed`);
    }
  }

  /** The server's refusal text of a failed invocation, or null when it failed for another reason. */
  function refusalOf(error) {
    const message = String(error?.message ?? error ?? '');
    const marker = 'HubException: ';
    const at = message.indexOf(marker);
    return at >= 0 ? message.slice(at + marker.length) : null;
  }

  function resyncCallbacks(channel) {
    const callbacks = [...(resyncListeners.get(channel.name) ?? [])];
    for (const sub of channel.subs) {
      if (sub.onResync) {
        callbacks.push(sub.onResync);
      }
    }
    return callbacks;
  }

  function resubscribe(channel, reason) {
    if (channel.subscribing) {
      channel.again ??= reason;
      return;
    }
    if (connection.state !== Connected) {
      return; // (re)connecting: every channel is re-subscribed once connected
    }
    channel.subscribing = true;
    channel.buffer = [];
    void subscribeOnServer(channel, reason);
  }

  async function subscribeOnServer(channel, reason) {
    const since = channel.epoch !== null ? { epoch: channel.epoch, offset: channel.offset } : null;
    let result;
    try {
      result = await connection.invoke('Subscribe', channel.name, since);
    } catch (error) {
      channel.subscribing = false;
      if (channels.get(channel.name) !== channel) {
        return;
      }
      const refusal = refusalOf(error);
      if (refusal !== null) {
        refuse(channel, refusal);
        return;
      }
      write('warn', `subscribing to ${channel.name} failed`, error);
      if (connection.state === Connected) {
        // A server-side fault (not a refusal, not a lost connection): try again later.
        const retry = channel.again ?? reason;
        channel.again = null;
        setTimeout(() => resubscribe(channel, retry), Math.max(250, backoff(++channel.failures)));
      } else {
        channel.again = null; // the reconnect re-subscribes
      }
      return;
    }

    if (channels.get(channel.name) !== channel) {
      channel.subscribing = false;
      if (!channels.has(channel.name) && connection.state === Connected) {
        connection.invoke('Unsubscribe', channel.name).catch(() => {});
      }
      return;
    }

    channel.failures = 0;
    applyResult(channel, since, result, reason);
    channel.subscribing = false;

    const buffered = channel.buffer.sort((a, b) => a.offset - b.offset);
    channel.buffer = [];
    for (const publication of buffered) {
      route(channel, publication);
    }

    if (channel.again && !channel.subscribing) {
      const next = channel.again;
      channel.again = null;
      resubscribe(channel, next);
    }
  }

  function applyResult(channel, since, result, reason) {
    const previous = since;
    const firstTime = !channel.ready;
    const epochChanged = since !== null && result.epoch !== since.epoch;
    if (since === null) {
      channel.epoch = result.epoch;
      channel.offset = result.offset;
    } else if (result.resyncRequired || epochChanged) {
      channel.epoch = result.epoch;
      channel.offset = result.offset;
      const info = { channel: channel.name, epoch: result.epoch, offset: result.offset, previous, reason: epochChanged ? 'epoch' : 'history' };
      for (const cb of resyncCallbacks(channel)) {
        safely(() => cb(info), `a resync handler of ${channel.name} failed`);
      }
    } else {
      const recovered = [...(result.publications ?? [])].sort((a, b) => a.offset - b.offset);
      let count = 0;
      for (const publication of recovered) {
        if (publication.offset <= channel.offset) {
          continue;
        }
        if (publication.offset !== channel.offset + 1) {
          break; // a hole in what the server returned: handled as a resync below
        }
        deliver(channel, publication);
        count++;
      }
      if (channel.offset < result.offset) {
        write('warn', `${channel.name}: the server's recovery stopped at ${channel.offset}, its top is ${result.offset}; resyncing`);
        const info = { channel: channel.name, epoch: result.epoch, offset: result.offset, previous: { epoch: channel.epoch, offset: channel.offset }, reason: 'incomplete' };
        channel.offset = result.offset;
        for (const cb of resyncCallbacks(channel)) {
          safely(() => cb(info), `a resync handler of ${channel.name} failed`);
        }
      } else if (!firstTime || reason !== 'subscribe') {
        const info = { channel: channel.name, reason, since, recovered: count, epoch: channel.epoch, offset: channel.offset };
        for (const sub of [...channel.subs]) {
          if (sub.onRecovered) {
            safely(() => sub.onRecovered(info), `a recovery handler of ${channel.name} failed`);
          }
        }
      }
    }

    if (firstTime) {
      channel.ready = true;
      const waiters = channel.waiters;
      channel.waiters = [];
      for (const waiter of waiters) {
        waiter.resolve();
      }
    }
  }

  function refuse(channel, message) {
    channels.delete(channel.name);
    const error = new Error(message);
    error.refused = true;
    error.channel = channel.name;
    const waiters = channel.waiters;
    channel.waiters = [];
    for (const waiter of waiters) {
      waiter.reject(error);
    }
    if (channel.ready) {
      // Refused on a re-subscribe (e.g. the token now has another tenant): tell the app, drop the channel.
      write('warn', `re-subscribing to ${channel.name} was refused: ${message}`);
      for (const sub of channel.subs) {
        if (sub.onError) {
          safely(() => sub.onError(error), `an error handler of ${channel.name} failed`);
        }
      }
      reportError(error);
    }
  }

  return {
    /** The underlying HubConnection (diagnostics; do not stop it directly). */
    connection,

    get state() {
      return state;
    },

    start() {
      if (running && startPromise) {
        return startPromise;
      }
      running = true;
      setState('connecting');
      startPromise = connectLoop();
      return startPromise;
    },

    async stop() {
      running = false;
      clearTimeout(restartTimer);
      try {
        await connection.stop();
      } finally {
        for (const channel of channels.values()) {
          channel.subscribing = false;
          channel.again = null;
        }
        setState('disconnected');
      }
    },

    onStateChange(cb) {
      stateListeners.add(cb);
      return () => stateListeners.delete(cb);
    },

    onError(cb) {
      errorListeners.add(cb);
      return () => errorListeners.delete(cb);
    },

    onResync(channelName, cb) {
      let set = resyncListeners.get(channelName);
      if (!set) {
        set = new Set();
        resyncListeners.set(channelName, set);
      }
      set.add(cb);
      return () => set.delete(cb);
    },

    subscribe(channelName, onPublication, { onResync, onRecovered, onError, since } = {}) {
      if (typeof channelName !== 'string') {
        return Promise.reject(new TypeError('realtime-sync: channel must be a string'));
      }
      let channel = channels.get(channelName);
      if (!channel) {
        channel = newChannel(channelName, since);
        channels.set(channelName, channel);
      }
      const sub = { onPublication, onResync, onRecovered, onError };
      channel.subs.add(sub);

      const handle = {
        channel: channelName,
        get position() {
          return { epoch: channel.epoch, offset: channel.offset };
        },
        async unsubscribe() {
          channel.subs.delete(sub);
          if (channel.subs.size > 0 || channels.get(channelName) !== channel) {
            return;
          }
          channels.delete(channelName);
          if (connection.state === Connected) {
            await connection.invoke('Unsubscribe', channelName).catch(e => write('debug', `unsubscribing ${channelName} failed`, e));
          }
        },
      };

      if (channel.ready) {
        return Promise.resolve(handle);
      }
      const accepted = new Promise((resolve, reject) => channel.waiters.push({
        resolve: () => resolve(handle),
        reject: error => {
          channel.subs.delete(sub);
          reject(error);
        },
      }));
      if (!channel.subscribing) {
        resubscribe(channel, 'subscribe'); // otherwise the Subscribe in flight answers this one too
      }
      return accepted;
    },
  };
}

// =====================================================================================================================
// Live stores: liveCollection / liveEntity (issue 16). Built only on createRealtimeClient above.
//
//   import { liveCollection, liveEntity } from '/realtime-sync.js';
//   const team = liveCollection({ tenant: 'demo', type: 'team', tokenFactory: () => fetchSiteToken() });
//   team.subscribe(() => render(team.getSnapshot()));
//
// liveCollection({ tenant, type, token | tokenFactory, filter?, hubUrl?, apiBase?, pageSize? })
// liveEntity({ tenant, type, id, token | tokenFactory, hubUrl?, apiBase? })
//   tokenFactory  () => token | {token, expiresAt} | Promise of either: a site token (POST /api/site-tokens through the
//                 site's backend) or any token that may read the entities API and subscribe to {tenant}/entities/{type}.
//                 Called again shortly before the token expires (from its `exp` claim or `expiresAt`): the shared
//                 connection is then re-opened with the new token and resumes every channel where it was.
//   token         a fixed token instead (no renewal).
//   filter        { field, equals } (sent to the API and applied to pushes) or (entity) => boolean (client side).
//   hubUrl        default '/hubs/sync'; apiBase default '' (same origin).
//
// The store: getSnapshot() → readonly array of entities ordered by id (liveCollection) or the entity / null
// (liveEntity); the same object until something changes, so React's useSyncExternalStore can use it directly.
// An entity is {id, type, version, fields, ...} as the API returns it; a changed entity is a new object.
// subscribe(listener) → unsubscribe: listener(snapshot) at once and after every change of the snapshot or of
// status / error (Svelte's store contract; React's useSyncExternalStore ignores the argument).
// status: 'connecting' | 'live' | 'recovering' | 'resyncing' | 'offline' | 'error'; lastSyncAt: Date | null (the
// last time the store was known to be up to date with the hub); error: Error | null; channel; dispose().
//
// How it stays exact: the store subscribes first, then loads the list; pushes that arrive during a load wait for it.
// A push is applied only when its version is newer than the copy's (an `update` patches the fields when it is the
// next version; anything else reads that one entity again), so a push and a load may arrive in either order, and an
// old push never overwrites a newer value. When the hub says the history no longer covers what was missed
// (resync), the store reloads the list, drops what the server no longer has, and continues from the hub's position.
//
// Every store of a page shares one connection per hub URL (one WebSocket), kept while a store uses it.
// =====================================================================================================================

/** What every live store of this page reports, for <rs-sync-status> and diagnostics. */
const liveRegistry = { stores: new Set(), listeners: new Set() };

function notifyRegistry() {
  for (const listener of [...liveRegistry.listeners]) {
    try {
      listener();
    } catch (e) {
      console.warn('[realtime-sync] a sync listener failed', e);
    }
  }
}

/**
 * The page's sync state in one object: { status, lastSyncAt, error, channels: [{channel, status, lastSyncAt, error}] }.
 * status is the worst of the stores': error > offline > resyncing > recovering > connecting > live ('idle' with no store).
 */
export function getSyncState() {
  const channels = [...liveRegistry.stores].map(store => ({ channel: store.channel, status: store.status, lastSyncAt: store.lastSyncAt, error: store.error }));
  const rank = ['live', 'connecting', 'recovering', 'resyncing', 'offline', 'error'];
  let status = channels.length ? 'live' : 'idle';
  let lastSyncAt = null;
  let error = null;
  for (const entry of channels) {
    if (rank.indexOf(entry.status) > rank.indexOf(status)) {
      status = entry.status;
    }
    if (entry.lastSyncAt && (!lastSyncAt || entry.lastSyncAt > lastSyncAt)) {
      lastSyncAt = entry.lastSyncAt;
    }
    error ??= entry.error;
  }
  return { status, lastSyncAt, error, channels };
}

/** listener() whenever any live store of the page changes status, syncs or fails; returns the unsubscribe function. */
export function onSyncStateChange(listener) {
  liveRegistry.listeners.add(listener);
  return () => liveRegistry.listeners.delete(listener);
}

/** How long before a token's expiry it is renewed (or a quarter of its lifetime when that is shorter). */
const renewBeforeMs = 60_000;

/** exp claim of a JWT in ms, or null. */
function jwtExpiry(token) {
  try {
    const payload = JSON.parse(atob(String(token).split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return typeof payload.exp === 'number' ? payload.exp * 1000 : null;
  } catch {
    return null;
  }
}

/** One token at a time from a factory, renewed shortly before it expires; concurrent callers share one call. */
function tokenSource(factory) {
  let current = null; // {token, expiresAt (ms or null), renewAt (ms or null)}
  let pending = null;
  const fetchToken = () => {
    pending ??= Promise.resolve()
      .then(factory)
      .then(answer => {
        const token = typeof answer === 'string' ? answer : answer?.token;
        if (!token) {
          throw new Error('realtime-sync: tokenFactory returned no token');
        }
        const explicit = typeof answer === 'object' && answer.expiresAt ? Date.parse(answer.expiresAt) : NaN;
        const expiresAt = Number.isFinite(explicit) ? explicit : jwtExpiry(token);
        const lifetime = expiresAt ? expiresAt - Date.now() : null;
        current = { token, expiresAt, renewAt: expiresAt ? expiresAt - Math.min(renewBeforeMs, Math.max(0, lifetime / 4)) : null };
        return token;
      })
      .finally(() => { pending = null; });
    return pending;
  };
  return {
    get(force = false) {
      if (!force && current && (current.renewAt === null || Date.now() < current.renewAt)) {
        return Promise.resolve(current.token);
      }
      return fetchToken();
    },
    /** When the current token should be replaced (ms since epoch), or null. */
    get renewAt() {
      return current?.renewAt ?? null;
    },
  };
}

/** One source per factory function: stores given the same tokenFactory share its token (one call, not one per store). */
const tokenSources = new WeakMap();

function sharedTokenSource(factory) {
  let source = tokenSources.get(factory);
  if (!source) {
    source = tokenSource(factory);
    tokenSources.set(factory, source);
  }
  return source;
}

/** hubUrl → { client, sources (token sources of the stores using it; the first one is asked), renewTimer } */
const sharedHubs = new Map();

function acquireHub(hubUrl, tokens) {
  let hub = sharedHubs.get(hubUrl);
  if (!hub) {
    hub = {
      client: null,
      sources: [],
      renewTimer: null,
      renewing: false,
      // A page normally has one site token for all its stores; if the store whose source is asked is disposed,
      // the next store's takes over.
      get tokens() { return this.sources[0]; },
    };
    hub.client = createRealtimeClient({ url: hubUrl, accessTokenFactory: () => hub.tokens.get() });
    hub.client.onStateChange(state => {
      if (state === 'connected') {
        scheduleRenewal(hub);
      }
    });
    sharedHubs.set(hubUrl, hub);
  }
  hub.sources.push(tokens);
  void hub.client.start();
  return hub;
}

/**
 * A hub connection lives as long as its token (the server closes it at expiry). Shortly before that the token is
 * renewed and the connection re-opened with it; the client re-subscribes every channel from its last position,
 * so nothing is lost or repeated.
 */
function scheduleRenewal(hub) {
  clearTimeout(hub.renewTimer);
  const renewAt = hub.tokens.renewAt;
  if (renewAt === null) {
    return;
  }
  hub.renewTimer = setTimeout(async () => {
    if (hub.sources.length === 0) {
      return;
    }
    try {
      await hub.tokens.get(true);
      hub.renewing = true; // the stores show this short disconnect as recovering, not offline
      await hub.client.stop();
      if (hub.sources.length > 0) {
        void hub.client.start();
      }
    } catch (e) {
      console.warn('[realtime-sync] renewing the token failed; the connection is re-opened when it closes', e);
    } finally {
      hub.renewing = false;
    }
  }, Math.max(1000, Math.min(renewAt - Date.now(), 2 ** 31 - 1)));
}

function releaseHub(hubUrl, hub, tokens) {
  hub.sources.splice(hub.sources.indexOf(tokens), 1);
  if (hub.sources.length === 0 && sharedHubs.get(hubUrl) === hub) {
    sharedHubs.delete(hubUrl);
    clearTimeout(hub.renewTimer);
    void hub.client.stop();
  }
}

/** A store of every entity of one type (optionally filtered), kept live. See the section header. */
export function liveCollection(options) {
  return createLiveStore({ ...options, id: undefined });
}

/** A store of one entity (null while it does not exist), kept live. See the section header. */
export function liveEntity(options) {
  if (!options?.id) {
    throw new TypeError('realtime-sync: liveEntity needs an id');
  }
  return createLiveStore(options);
}

function createLiveStore({ tenant, type, id, token, tokenFactory, filter, hubUrl = '/hubs/sync', apiBase = '', pageSize = 500 }) {
  if (!tenant || !type) {
    throw new TypeError('realtime-sync: a live store needs tenant and type');
  }
  if (!token && !tokenFactory) {
    throw new TypeError('realtime-sync: a live store needs token or tokenFactory');
  }
  const channel = `${tenant}/entities/${type}`;
  const single = id !== undefined;
  const tokens = tokenFactory ? sharedTokenSource(tokenFactory) : tokenSource(() => token);
  const matches = typeof filter === 'function'
    ? filter
    : filter ? entity => String(entity.fields?.[filter.field]) === String(filter.equals) : () => true;

  /** id → entity (immutable: a change makes a new object). */
  const items = new Map();
  /** id → version of its deletion, so a late push or load of an older version does not bring it back. */
  const gone = new Map();
  /** id → `changes` when the store last wrote it, to tell what a load may remove. */
  const touched = new Map();
  const listeners = new Set();
  let snapshot = single ? null : Object.freeze([]);
  let dirty = false;
  let notifyQueued = false;
  let disposed = false;
  let status = 'connecting';
  let lastSyncAt = null;
  let error = null;
  let changes = 0; // counts applied pushes, to tell what a load may remove

  // Pushes are applied in order, one at a time; they wait while a load runs (`loading`), and behind a push that
  // needs one entity read again (`busy`).
  const queue = [];
  let loading = 0;
  let busy = false;
  let retryTimer = null;
  let failures = 0;

  const store = {
    channel,
    get status() { return status; },
    get lastSyncAt() { return lastSyncAt; },
    get error() { return error; },
    getSnapshot() {
      if (dirty) {
        dirty = false;
        snapshot = single ? (visible(items.get(id)) ?? null) : Object.freeze([...items.values()].filter(visible).sort(byId));
      }
      return snapshot;
    },
    subscribe(listener) {
      listeners.add(listener);
      // Called at once with the current snapshot too: that is Svelte's store contract, and harmless for React.
      try {
        listener(store.getSnapshot());
      } catch (e) {
        console.warn(`[realtime-sync] a listener of ${channel} failed`, e);
      }
      return () => listeners.delete(listener);
    },
    dispose,
  };
  // React calls these unbound.
  store.getSnapshot = store.getSnapshot.bind(store);

  function visible(entity) {
    return entity && !entity.deleted && matches(entity) ? entity : undefined;
  }

  function byId(a, b) {
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  }

  /** Listeners run once per burst of changes (a recovery of 20 pushes is one notification). */
  function changed() {
    if (notifyQueued || disposed) {
      return;
    }
    notifyQueued = true;
    queueMicrotask(() => {
      notifyQueued = false;
      if (disposed) {
        return;
      }
      const current = store.getSnapshot();
      for (const listener of [...listeners]) {
        try {
          listener(current);
        } catch (e) {
          console.warn(`[realtime-sync] a listener of ${channel} failed`, e);
        }
      }
      notifyRegistry();
    });
  }

  function setStatus(next, problem = null) {
    if (disposed) {
      return;
    }
    if (next === 'live') {
      lastSyncAt = new Date();
      problem = null;
    }
    if (next !== status || problem !== error || next === 'live') {
      status = next;
      error = problem;
      changed();
    }
  }

  /** Stores the entity unless this store has that version or a newer one (or its deletion). */
  function put(entity) {
    const known = items.get(entity.id);
    if ((known && known.version >= entity.version) || (gone.get(entity.id) ?? -1) >= entity.version) {
      return false;
    }
    if (entity.deleted) {
      remove(entity.id, entity.version);
      return true;
    }
    items.set(entity.id, Object.freeze({ ...entity, fields: Object.freeze({ ...entity.fields }) }));
    touched.set(entity.id, changes);
    dirty = true;
    return true;
  }

  function remove(entityId, version) {
    gone.set(entityId, Math.max(version, gone.get(entityId) ?? -1));
    touched.delete(entityId);
    if (items.delete(entityId)) {
      dirty = true;
    }
  }

  async function api(path) {
    for (let attempt = 0; ; attempt++) {
      const response = await fetch(`${apiBase}/api/tenants/${encodeURIComponent(tenant)}/entities/${encodeURIComponent(type)}${path}`, {
        headers: { Authorization: `Bearer ${await tokens.get(attempt > 0)}` },
        cache: 'no-store',
      });
      if (response.status === 401 && attempt === 0) {
        continue; // expired or the server's key changed: one fresh token
      }
      if (response.status === 404 && single) {
        return null;
      }
      if (!response.ok) {
        const failure = new Error(`GET ${channel}${path}: ${response.status}`);
        failure.status = response.status;
        throw failure;
      }
      return response.json();
    }
  }

  async function fetchAll() {
    if (single) {
      const entity = await api(`/${encodeURIComponent(id)}`);
      return entity ? [entity] : [];
    }
    const query = filter && typeof filter === 'object' ? `&field=${encodeURIComponent(filter.field)}&equals=${encodeURIComponent(filter.equals)}` : '';
    const all = [];
    let after = null;
    do {
      const page = await api(`?limit=${pageSize}${query}${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      all.push(...page.items);
      after = page.next;
    } while (after);
    return all;
  }

  /** Loads the whole state (first time and after a resync) while pushes wait; then applies them. */
  async function load(during) {
    clearTimeout(retryTimer);
    loading++;
    setStatus(during);
    const startedAt = changes;
    try {
      const entities = await fetchAll();
      if (disposed) {
        return;
      }
      const seen = new Set();
      for (const entity of entities) {
        seen.add(entity.id);
        put(entity);
      }
      // Not in the list: deleted while this store missed it, unless a push created it after the load began.
      for (const entityId of [...items.keys()]) {
        if (!seen.has(entityId) && (touched.get(entityId) ?? 0) <= startedAt) {
          items.delete(entityId);
          dirty = true;
        }
      }
      failures = 0;
      loading--;
      setStatus('live');
      changed();
      drain();
    } catch (e) {
      loading--;
      if (disposed) {
        return;
      }
      setStatus('error', e);
      // A refused read (403/404) will not heal by itself; anything else is tried again with backoff.
      if (!(e.status >= 400 && e.status < 500)) {
        retryTimer = setTimeout(() => load(during), Math.min(30_000, 1000 * 2 ** failures++));
      }
    }
  }

  function drain() {
    while (!busy && loading === 0 && queue.length > 0 && !disposed) {
      const pending = apply(queue.shift());
      if (pending) {
        busy = true;
        pending.finally(() => {
          busy = false;
          drain();
        });
      }
    }
  }

  /** One push; returns a promise when the entity has to be read again, otherwise applies it at once. */
  function apply(publication) {
    const change = publication.data ?? {};
    if (!change.id || (single && change.id !== id)) {
      return null;
    }
    changes++;
    if (status === 'live') {
      lastSyncAt = new Date(); // a push in order: in sync as of now
    }
    const known = items.get(change.id);
    if (publication.type === 'entity.deleted' || change.operation === 'delete') {
      if (!known || known.version < change.version) {
        remove(change.id, change.version);
        changed();
      }
      return null;
    }
    if ((known && change.version <= known.version) || (gone.get(change.id) ?? -1) >= change.version) {
      return null; // older than what this store has: never overwrite a newer value
    }
    if (known && change.version === known.version + 1 && change.operation === 'update') {
      const fields = { ...known.fields };
      const fieldVersions = known.fieldVersions ? { ...known.fieldVersions } : undefined;
      for (const [name, value] of Object.entries(change.changed ?? {})) {
        if (value === null) {
          delete fields[name];
        } else {
          fields[name] = value;
        }
        if (fieldVersions) {
          fieldVersions[name] = change.version;
        }
      }
      items.set(change.id, Object.freeze({
        ...known,
        version: change.version,
        fields: Object.freeze(fields),
        ...(fieldVersions ? { fieldVersions: Object.freeze(fieldVersions) } : {}),
        updatedBy: change.actor ?? known.updatedBy,
      }));
      touched.set(change.id, changes);
      dirty = true;
      changed();
      return null;
    }
    if (!known && change.operation === 'create' && change.version === 1) {
      put({ id: change.id, type, version: change.version, fields: change.changed ?? {}, createdBy: change.actor, updatedBy: change.actor });
      changed();
      return null;
    }
    // A version this store skipped, a restore, an entity it never saw: a push carries only the changed fields,
    // so read the whole entity once.
    return api(`/${encodeURIComponent(change.id)}`)
      .then(entity => {
        if (entity && put({ ...entity })) {
          changed();
        }
      })
      .catch(e => console.warn(`[realtime-sync] reading ${channel}/${change.id} failed`, e));
  }

  const hub = acquireHub(hubUrl, tokens);
  const offStates = hub.client.onStateChange(state => {
    if (status === 'error' || status === 'connecting') {
      return;
    }
    if (state === 'reconnecting') {
      setStatus(globalThis.navigator?.onLine === false ? 'offline' : 'recovering');
    } else if (state === 'disconnected') {
      setStatus(hub.renewing ? 'recovering' : 'offline');
    }
  });
  const onOffline = () => setStatus('offline');
  const onOnline = () => {
    if (status === 'offline') {
      setStatus(hub.client.state === 'connected' ? 'live' : 'recovering');
    }
  };
  globalThis.addEventListener?.('offline', onOffline);
  globalThis.addEventListener?.('online', onOnline);

  let subscription = null;
  liveRegistry.stores.add(store);
  notifyRegistry();
  hub.client.subscribe(channel, publication => {
    queue.push(publication);
    drain();
  }, {
    onResync: () => void load('resyncing'),
    onRecovered: () => {
      if (status !== 'error' && loading === 0) {
        setStatus(globalThis.navigator?.onLine === false ? 'offline' : 'live');
      }
    },
    onError: e => setStatus('error', e),
  }).then(handle => {
    subscription = handle;
    if (disposed) {
      void handle.unsubscribe();
      return;
    }
    // Subscribed first, loaded second: a change made in between arrives as a push and waits for the load.
    void load('connecting');
  }, e => setStatus('error', e));

  function dispose() {
    if (disposed) {
      return;
    }
    disposed = true;
    clearTimeout(retryTimer);
    offStates();
    globalThis.removeEventListener?.('offline', onOffline);
    globalThis.removeEventListener?.('online', onOnline);
    listeners.clear();
    liveRegistry.stores.delete(store);
    notifyRegistry();
    void subscription?.unsubscribe();
    releaseHub(hubUrl, hub, tokens);
  }

  return store;
}

// =====================================================================================================================
// <rs-sync-status>: the page's sync indicator (issue 16). Defined when this module is imported in a browser.
//
//   <rs-sync-status></rs-sync-status>
//
// Shows the state of every live store of the page (liveCollection / liveEntity) as one of live / reconnecting /
// offline / error (and connecting before the first load), the last sync time, and a details popover listing each
// subscribed channel with its state. The state text is a polite live region (role="status"); the time is not read
// out on every change. Reflects `state` as an attribute and fires `rs-sync-status` (detail = getSyncState()) when
// it changes.
// Styling: custom properties --rs-sync-live, --rs-sync-reconnecting, --rs-sync-offline, --rs-sync-error (colour of
// the dot and text), --rs-sync-background, --rs-sync-color, --rs-sync-radius, --rs-sync-font-size; parts: base, dot,
// label, time, toggle, panel, channel.
// =====================================================================================================================

const indicatorStates = {
  idle: 'Not syncing',
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  error: 'Sync error',
};

/** A store's status as the indicator shows it (recovering and resyncing are both "reconnecting" to a reader). */
function indicatorState(status) {
  return status === 'recovering' || status === 'resyncing' ? 'reconnecting' : status;
}

function clockTime(date) {
  return date ? date.toLocaleTimeString() : '—';
}

export const RsSyncStatus = globalThis.HTMLElement === undefined ? undefined : class RsSyncStatus extends HTMLElement {
  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = `
      <style>
        :host { display: inline-block; position: relative; font-size: var(--rs-sync-font-size, .85rem); }
        [part=base] { display: inline-flex; align-items: center; gap: .45em; padding: .25em .4em .25em .75em;
          border-radius: var(--rs-sync-radius, 999px); background: var(--rs-sync-background, #eceef3); color: var(--rs-sync-color, #3d4050); }
        [part=dot] { width: .55em; height: .55em; border-radius: 50%; background: var(--state-color); flex: none; }
        [part=label] { color: var(--state-color); font-weight: 600; }
        [part=time] { font-variant-numeric: tabular-nums; }
        [part=toggle] { font: inherit; border: 0; border-radius: var(--rs-sync-radius, 999px); padding: .1em .6em; cursor: pointer;
          background: transparent; color: inherit; text-decoration: underline; }
        [part=toggle]:focus-visible { outline: 2px solid currentColor; outline-offset: 1px; }
        [part=panel] { position: absolute; right: 0; top: calc(100% + .4em); z-index: 10; min-width: 18em; margin: 0; padding: .6em .8em;
          list-style: none; background: #fff; color: #1d1d29; border-radius: 8px; box-shadow: 0 4px 20px rgb(0 0 0 / 18%); }
        [part=panel][hidden] { display: none; }
        [part=channel] { display: flex; justify-content: space-between; gap: 1em; padding: .2em 0; }
        :host { --state-color: var(--rs-sync-reconnecting, #8a5a00); }
        :host([state=live]) { --state-color: var(--rs-sync-live, #137a3a); }
        :host([state=offline]) { --state-color: var(--rs-sync-offline, #a32020); }
        :host([state=error]) { --state-color: var(--rs-sync-error, #a32020); }
        :host([state=idle]) { --state-color: var(--rs-sync-color, #3d4050); }
        @media (prefers-reduced-motion: no-preference) {
          :host([state=reconnecting]) [part=dot], :host([state=connecting]) [part=dot] { animation: rs-pulse 1s infinite alternate; }
        }
        @keyframes rs-pulse { from { opacity: 1; } to { opacity: .25; } }
      </style>
      <span part="base">
        <span part="dot" aria-hidden="true"></span>
        <span part="label" role="status" aria-live="polite"></span>
        <span part="time"></span>
        <button part="toggle" type="button" aria-expanded="false" aria-controls="panel">Details</button>
      </span>
      <ul part="panel" id="panel" aria-label="Subscribed channels" hidden></ul>`;
    this._label = root.querySelector('[part=label]');
    this._time = root.querySelector('[part=time]');
    this._toggle = root.querySelector('[part=toggle]');
    this._panel = root.querySelector('[part=panel]');
    this._frame = 0;
    this._off = null;
    this._toggle.addEventListener('click', () => this.open = this._panel.hidden);
    this.addEventListener('keydown', event => {
      if (event.key === 'Escape' && this.open) {
        this.open = false;
        this._toggle.focus();
      }
    });
  }

  /** Whether the details popover is shown. */
  get open() {
    return !this._panel.hidden;
  }

  set open(value) {
    this._panel.hidden = !value;
    this._toggle.setAttribute('aria-expanded', String(!!value));
    this._render();
  }

  /** The state shown: idle | connecting | live | reconnecting | offline | error. */
  get state() {
    return this.getAttribute('state') ?? 'idle';
  }

  connectedCallback() {
    this._off = onSyncStateChange(() => this._schedule());
    this._render();
  }

  disconnectedCallback() {
    this._off?.();
    cancelAnimationFrame(this._frame);
    this._frame = 0;
  }

  /** At most one render per frame: a store may sync 50 times a second. */
  _schedule() {
    this._frame ||= requestAnimationFrame(() => {
      this._frame = 0;
      this._render();
    });
  }

  _render() {
    const sync = getSyncState();
    const state = indicatorState(sync.status);
    const before = this.getAttribute('state');
    if (before !== state) {
      this.setAttribute('state', state);
    }
    const label = state === 'error' && sync.error ? `${indicatorStates.error}: ${sync.error.message ?? sync.error}` : indicatorStates[state] ?? state;
    if (this._label.textContent !== label) {
      this._label.textContent = label;
    }
    const time = sync.lastSyncAt ? `· last sync ${clockTime(sync.lastSyncAt)}` : '';
    if (this._time.textContent !== time) {
      this._time.textContent = time;
    }
    if (this.open) {
      this._panel.replaceChildren(...sync.channels.map(entry => {
        const item = document.createElement('li');
        item.setAttribute('part', 'channel');
        item.dataset.channel = entry.channel;
        item.dataset.status = entry.status;
        const name = document.createElement('span');
        name.textContent = entry.channel;
        const detail = document.createElement('span');
        detail.textContent = `${entry.status}${entry.lastSyncAt ? ` · ${clockTime(entry.lastSyncAt)}` : ''}${entry.error ? ` · ${entry.error.message ?? entry.error}` : ''}`;
        item.append(name, detail);
        return item;
      }));
      if (sync.channels.length === 0) {
        const item = document.createElement('li');
        item.textContent = 'No subscribed channel';
        this._panel.replaceChildren(item);
      }
    }
    if (before !== state) {
      this.dispatchEvent(new CustomEvent('rs-sync-status', { detail: sync, bubbles: true, composed: true }));
    }
  }
};

if (RsSyncStatus && globalThis.customElements && !customElements.get('rs-sync-status')) {
  customElements.define('rs-sync-status', RsSyncStatus);
}

// ---- MessagePack ------------------------------------------------------------------------------------
// Opt in with { protocol: 'messagepack' } after loading /lib/signalr/signalr-protocol-msgpack.min.js (or pass
// { msgpack: require('@microsoft/signalr-protocol-msgpack') } in Node). Publications and subscribe results
// have the same shapes on both protocols: {channel, epoch, offset, type, data}.
function hubProtocol(signalR, protocol, msgpack) {
  if (protocol === 'json') {
    return new signalR.JsonHubProtocol();
  }
  if (protocol !== 'messagepack') {
    throw new Error(`realtime-sync: unknown protocol '${protocol}' (json or messagepack).`);
  }
  if (!msgpack || typeof msgpack.MessagePackHubProtocol !== 'function') {
    throw new Error('realtime-sync: the MessagePack protocol is missing. Load /lib/signalr/signalr-protocol-msgpack.min.js before this module, or pass { msgpack }.');
  }
  return new msgpack.MessagePackHubProtocol();
}
