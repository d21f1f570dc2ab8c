// Uses every export of wwwroot/realtime-sync.js through its declarations (realtime-sync.d.ts), the way a site would.
// Checked by `tsc --noEmit -p tests/node/types` in tests/Admin.Tests/Sites/TypeDeclarationsTests.cs. The lines
// marked as expected errors at the end are misuses the declarations must reject: if they compiled, tsc fails.
import {
  createRealtimeClient,
  getSyncState,
  liveCollection,
  liveEntity,
  onSyncStateChange,
  RsSyncStatus,
  type Entity,
  type EntityChange,
  type LiveStatus,
  type LiveStore,
  type SyncState,
} from '../../../wwwroot/realtime-sync.js';

interface TeamFields {
  name: string;
  role?: string;
  order?: number;
}

const tokenFactory = async () => ({ token: 'eyJ...', expiresAt: '2030-01-01T12:15:00+00:00' });

// The three lines.
const team = liveCollection<TeamFields>({ tenant: 'demo', type: 'team', tokenFactory });
const settings = liveEntity({ tenant: 'demo', type: 'settings', id: 'default', tokenFactory });
team.subscribe(() => render(team.getSnapshot()));

function render(members: readonly Entity<TeamFields>[]): string[] {
  return members.map(m => `${m.fields.name}: ${m.fields.role ?? ''} (v${m.version})`);
}

const active = liveCollection<TeamFields>({ tenant: 'demo', type: 'team', token: 'eyJ...', filter: { field: 'active', equals: true } });
const ordered = liveCollection<TeamFields>({ tenant: 'demo', type: 'team', tokenFactory: () => 'eyJ...', filter: e => (e.fields.order ?? 0) > 0, hubUrl: '/hubs/sync', apiBase: '' });
const status: LiveStatus = team.status;
const synced: Date | null = settings.lastSyncAt;
const problem: Error | null = settings.error;
const siteName = settings.getSnapshot()?.fields['siteName'];
const store: LiveStore<Entity | null> = settings;
void [status, synced, problem, siteName, store, active.channel];
ordered.dispose();

// The page-wide state and the indicator.
const state: SyncState = getSyncState();
const channels: string[] = state.channels.map(c => `${c.channel} ${c.status}`);
const off: () => void = onSyncStateChange(() => channels.push(getSyncState().status));
off();
const indicator = document.querySelector('rs-sync-status');
if (indicator) {
  indicator.open = true;
  const shown: 'idle' | 'connecting' | 'live' | 'reconnecting' | 'offline' | 'error' = indicator.state;
  void shown;
  indicator.addEventListener('rs-sync-status', event => channels.push(event.detail.status));
}
if (RsSyncStatus && !customElements.get('rs-sync-status')) {
  customElements.define('rs-sync-status', RsSyncStatus);
}

// The lower-level client.
const client = createRealtimeClient({ url: '/hubs/sync', accessTokenFactory: () => 'eyJ...', maxRetryDelayMs: 5000 });
client.onStateChange(s => console.log(s));
void client.start().then(async () => {
  const subscription = await client.subscribe<EntityChange>('demo/entities/team', p => console.log(p.data.id, p.data.version), {
    onResync: info => console.log(info.reason, info.offset),
    onRecovered: info => console.log(info.recovered),
  });
  console.log(subscription.position.offset);
  await subscription.unsubscribe();
  await client.stop();
});

// Misuses the declarations reject.
// @ts-expect-error tenant is required
liveCollection({ type: 'team', token: 't' });
// @ts-expect-error liveEntity needs an id
liveEntity({ tenant: 'demo', type: 'settings', token: 't' });
// @ts-expect-error not a status a store has
const wrong: LiveStatus = 'connected';
// @ts-expect-error a collection's snapshot is an array, not one entity
const one: Entity | null = team.getSnapshot();
// @ts-expect-error fields are read-only: apply changes through the API
team.getSnapshot()[0].fields.name = 'x';
void [wrong, one];

// Svelte's store contract: subscribe(run) calls run with the value.
const unsubscribe: () => void = team.subscribe(members => render(members));
unsubscribe();
