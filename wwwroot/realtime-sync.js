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
