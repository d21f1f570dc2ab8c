// Type declarations of realtime-sync.js (the browser client of the hub at /hubs/sync). Checked by
// tests/Admin.Tests/Sites/TypeDeclarationsTests.cs (tsc --noEmit on tests/node/types/usage.ts).

// ---- createRealtimeClient ----------------------------------------------------------------------------------------

/** A position in a channel: the channel's epoch and the offset of the last publication seen. */
export interface Position {
  epoch: string | null;
  offset: number;
}

/** A push: `type` is e.g. 'entity.changed', 'entity.deleted', 'document.save-status'. */
export interface Publication<TData = unknown> {
  channel: string;
  epoch: string;
  offset: number;
  type: string;
  data: TData;
}

/** data of 'entity.changed' / 'entity.deleted' publications. */
export interface EntityChange {
  id: string;
  type: string;
  operation: 'create' | 'update' | 'delete' | 'restore' | (string & {});
  version: number;
  changed: Record<string, unknown>;
  conflicts?: string[];
  actor?: string;
  origin?: string;
  seq?: number;
}

export interface ResyncInfo {
  channel: string;
  epoch: string;
  offset: number;
  previous: Position | null;
  reason: 'history' | 'epoch' | 'incomplete';
}

export interface RecoveredInfo {
  channel: string;
  reason: 'reconnect' | 'gap' | 'epoch' | 'subscribe';
  since: Position | null;
  recovered: number;
  epoch: string;
  offset: number;
}

export type ConnectionState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting';

export type TokenFactory = () => string | Promise<string>;

export interface RealtimeClientOptions {
  /** Hub URL, default '/hubs/sync'. */
  url?: string;
  accessTokenFactory?: TokenFactory;
  /** The @microsoft/signalr module, default globalThis.signalR. */
  signalR?: unknown;
  logger?: unknown;
  log?: (level: 'debug' | 'warn' | 'error', message: string, error?: unknown) => void;
  skipNegotiation?: boolean;
  maxRetryDelayMs?: number;
}

export interface SubscribeOptions {
  onResync?: (info: ResyncInfo) => void | Promise<void>;
  onRecovered?: (info: RecoveredInfo) => void;
  onError?: (error: Error & { refused?: boolean; channel?: string }) => void;
  since?: Position;
}

export interface Subscription {
  readonly channel: string;
  readonly position: Position;
  unsubscribe(): Promise<void>;
}

export interface RealtimeClient {
  /** The underlying SignalR HubConnection (diagnostics). */
  readonly connection: unknown;
  readonly state: ConnectionState;
  start(): Promise<void>;
  stop(): Promise<void>;
  onStateChange(callback: (state: ConnectionState) => void): () => void;
  onError(callback: (error: unknown) => void): () => void;
  onResync(channel: string, callback: (info: ResyncInfo) => void): () => void;
  subscribe<TData = unknown>(
    channel: string,
    onPublication: (publication: Publication<TData>) => void,
    options?: SubscribeOptions,
  ): Promise<Subscription>;
}

export function createRealtimeClient(options?: RealtimeClientOptions): RealtimeClient;

// ---- liveCollection / liveEntity ---------------------------------------------------------------------------------

/** An entity as the entities API returns it. */
export interface Entity<TFields extends object = Record<string, unknown>> {
  readonly id: string;
  readonly type: string;
  readonly version: number;
  readonly fields: Readonly<TFields>;
  readonly fieldVersions?: Readonly<Record<string, number>>;
  readonly deleted?: boolean;
  readonly createdAt?: string;
  readonly createdBy?: string;
  readonly updatedAt?: string;
  readonly updatedBy?: string;
}

export type LiveStatus = 'connecting' | 'live' | 'recovering' | 'resyncing' | 'offline' | 'error';

/** A token, or a token with its expiry (ISO 8601), as POST /api/site-tokens answers. */
export type SiteToken = string | { token: string; expiresAt?: string };

interface LiveStoreOptionsBase {
  tenant: string;
  type: string;
  /** A fixed token (no renewal). Give this or tokenFactory. */
  token?: string;
  /** Called for the first token and again shortly before it expires. Stores given the same function share its token. */
  tokenFactory?: () => SiteToken | Promise<SiteToken>;
  /** Default '/hubs/sync'. Every store of a page with the same hubUrl shares one connection. */
  hubUrl?: string;
  /** Base of the entities API, default '' (same origin). */
  apiBase?: string;
}

export interface LiveCollectionOptions<TFields extends object = Record<string, unknown>> extends LiveStoreOptionsBase {
  /** { field, equals } is sent to the API and applied to pushes; a function filters on the client. */
  filter?: { field: string; equals: string | number | boolean } | ((entity: Entity<TFields>) => boolean);
  /** Page size of the initial load, 1..500 (default 500). */
  pageSize?: number;
}

export interface LiveEntityOptions extends LiveStoreOptionsBase {
  id: string;
}

/** The shape React's useSyncExternalStore, Svelte stores and Vue watchers take. */
export interface LiveStore<TSnapshot> {
  /** The same object until something changes. */
  getSnapshot(): TSnapshot;
  /**
   * listener(snapshot) at once and after every change of the snapshot, status or error (Svelte's store contract;
   * React's useSyncExternalStore passes a listener that ignores the argument); returns the unsubscribe function.
   */
  subscribe(listener: (snapshot: TSnapshot) => void): () => void;
  readonly status: LiveStatus;
  /** The last time the store was known to be up to date with the hub. */
  readonly lastSyncAt: Date | null;
  readonly error: Error | null;
  /** `{tenant}/entities/{type}` */
  readonly channel: string;
  dispose(): void;
}

export function liveCollection<TFields extends object = Record<string, unknown>>(
  options: LiveCollectionOptions<TFields>,
): LiveStore<readonly Entity<TFields>[]>;

export function liveEntity<TFields extends object = Record<string, unknown>>(
  options: LiveEntityOptions,
): LiveStore<Entity<TFields> | null>;

// ---- page-wide sync state and <rs-sync-status> --------------------------------------------------------------------

export interface ChannelSyncState {
  channel: string;
  status: LiveStatus;
  lastSyncAt: Date | null;
  error: Error | null;
}

export interface SyncState {
  /** The worst status of the page's stores; 'idle' when there is none. */
  status: LiveStatus | 'idle';
  lastSyncAt: Date | null;
  error: Error | null;
  channels: ChannelSyncState[];
}

export function getSyncState(): SyncState;

export function onSyncStateChange(listener: () => void): () => void;

export type SyncIndicatorState = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'offline' | 'error';

/** <rs-sync-status>: defined when the module is imported in a browser (undefined elsewhere). */
export declare class RsSyncStatusElement extends HTMLElement {
  /** Whether the details popover is shown. */
  open: boolean;
  readonly state: SyncIndicatorState;
}

export declare const RsSyncStatus: typeof RsSyncStatusElement | undefined;

declare global {
  interface HTMLElementTagNameMap {
    'rs-sync-status': RsSyncStatusElement;
  }
  interface HTMLElementEventMap {
    'rs-sync-status': CustomEvent<SyncState>;
  }
}
