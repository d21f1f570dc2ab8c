// Demo site: the state is loaded once through the API, then changes only from pushes (realtime-sync.js).
// A push carries the changed fields and the entity version: newer versions are patched in, older ones
// ignored, so a push and a refetch may arrive in either order. A refetch happens only when the hub says
// the history no longer covers what this page missed (resync).
import { createRealtimeClient } from '/realtime-sync.js';

const tenant = 'demo';
const settingsChannel = `${tenant}/entities/settings`;
const teamChannel = `${tenant}/entities/team`;
const $ = selector => document.querySelector(selector);

/** settings: {version, fields} | null; team: id → {version, fields}; gone: id → version of its deletion. */
const state = { settings: null, team: new Map(), gone: new Map() };
let liveChanges = 0;

// --- token: the anonymous demo token, refreshed shortly before it expires -------------------------------
let token = null;
let tokenExpires = 0;

async function getToken() {
  if (!token || Date.now() > tokenExpires - 60_000) {
    const response = await fetch('/demo/token', { cache: 'no-store' });
    if (!response.ok) {
      throw new Error(`GET /demo/token: ${response.status}`);
    }
    token = (await response.json()).token;
    tokenExpires = expiryOf(token);
  }
  return token;
}

function expiryOf(jwt) {
  try {
    const payload = JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return payload.exp * 1000;
  } catch {
    return Date.now() + 5 * 60_000;
  }
}

async function api(path) {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`/api/tenants/${tenant}${path}`, { headers: { Authorization: `Bearer ${await getToken()}` }, cache: 'no-store' });
    if (response.status === 401 && attempt === 0) {
      token = null; // expired or the server's key changed: fetch a new one once
      continue;
    }
    if (!response.ok) {
      throw new Error(`GET ${path}: ${response.status}`);
    }
    return response.json();
  }
}

// --- state -----------------------------------------------------------------------------------------------

/** Applies a fetched entity unless this page already has that version or a newer one. */
function putFetched(map, entity) {
  const known = map.get(entity.id);
  const goneAt = state.gone.get(entity.id);
  if ((known && known.version >= entity.version) || (goneAt !== undefined && goneAt >= entity.version)) {
    return false;
  }
  map.set(entity.id, { version: entity.version, fields: { ...entity.fields }, touched: liveChanges });
  return true;
}

async function loadSettings() {
  const settings = await api('/entities/settings/default');
  if (!state.settings || state.settings.version < settings.version) {
    state.settings = { version: settings.version, fields: { ...settings.fields } };
  }
}

async function loadTeam() {
  const startedAt = liveChanges;
  const seen = new Set();
  let after = null;
  do {
    const page = await api(`/entities/team?limit=500${after ? `&after=${encodeURIComponent(after)}` : ''}`);
    for (const entity of page.items) {
      seen.add(entity.id);
      putFetched(state.team, entity);
    }
    after = page.next;
  } while (after);
  // Gone from the list: deleted while this page missed it, unless a push created it after the fetch began.
  for (const [id, member] of state.team) {
    if (!seen.has(id) && member.touched < startedAt) {
      state.team.delete(id);
    }
  }
}

async function loadAll() {
  await Promise.all([loadSettings(), loadTeam()]);
  render();
}

function patchFields(fields, changed) {
  for (const [name, value] of Object.entries(changed ?? {})) {
    if (value === null) {
      delete fields[name];
    } else {
      fields[name] = value;
    }
  }
}

/** One push: {type, data: {id, type, operation, version, changed, ...}}. */
async function applyPublication(publication) {
  const change = publication.data;
  liveChanges++;
  if (change.type === 'settings') {
    if (state.settings && change.version === state.settings.version + 1) {
      patchFields(state.settings.fields, change.changed);
      state.settings.version = change.version;
    } else if (!state.settings || change.version > state.settings.version) {
      await loadSettings(); // a version this page did not see: the push alone would leave it incomplete
    }
  } else if (change.type === 'team') {
    const member = state.team.get(change.id);
    if (publication.type === 'entity.deleted') {
      state.gone.set(change.id, change.version);
      state.team.delete(change.id);
    } else if (member && change.version <= member.version) {
      // already has it (the load was newer than this push)
    } else if (member && change.version === member.version + 1) {
      patchFields(member.fields, change.changed);
      member.version = change.version;
      member.touched = liveChanges;
      flash(change.id);
    } else if (!member && change.operation === 'create') {
      if ((state.gone.get(change.id) ?? -1) < change.version) {
        state.team.set(change.id, { version: change.version, fields: { ...change.changed }, touched: liveChanges });
        flash(change.id);
      }
    } else {
      // A member this page does not have (e.g. restored from the bin), or a version it skipped: the push only
      // has the changed fields, so read the whole entity once.
      try {
        const entity = await api(`/entities/team/${encodeURIComponent(change.id)}`);
        if (putFetched(state.team, entity)) {
          flash(change.id);
        }
      } catch (e) {
        console.warn('demo: could not read', change.id, e);
      }
    }
  }
  $('[data-testid="last-update"]').textContent = `Last change ${new Date().toLocaleTimeString()} (${change.type} ${change.id}, version ${change.version}, by ${change.actor})`;
  render();
}

// --- rendering (textContent only: field values are data, never markup) ------------------------------------

const flashing = new Set();

function flash(id) {
  flashing.add(id);
}

function setText(element, text) {
  if (element.textContent !== text) {
    element.textContent = text;
  }
}

const colorPattern = /^#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;

function renderSettings() {
  const fields = state.settings?.fields ?? {};
  const siteName = fields.siteName ?? '';
  setText($('[data-testid="site-name"]'), siteName);
  setText($('[data-testid="brand-name"]'), siteName);
  setText($('[data-testid="tagline"]'), fields.tagline ?? '');
  document.title = siteName ? `${siteName} · demo` : 'Demo site · RealtimeSync';
  if (typeof fields.primaryColor === 'string' && colorPattern.test(fields.primaryColor)) {
    document.documentElement.style.setProperty('--primary', fields.primaryColor);
  }
  document.documentElement.dataset.primaryColor = fields.primaryColor ?? '';

  const contact = $('[data-testid="contact-email"]');
  const email = typeof fields.contactEmail === 'string' ? fields.contactEmail : '';
  contact.hidden = !email;
  setText(contact, email ? `Write to ${email}` : '');
  contact.href = email ? `mailto:${encodeURIComponent(email).replace('%40', '@')}` : '#contact';

  $('[data-testid="maintenance-banner"]').hidden = fields.maintenanceMode !== true;
  $('[data-testid="hero"]').dataset.version = String(state.settings?.version ?? '');
}

function initials(name) {
  return String(name ?? '').split(/\s+/).filter(Boolean).slice(0, 2).map(part => part[0].toUpperCase()).join('');
}

function renderTeam() {
  const grid = $('[data-testid="team-grid"]');
  const members = [...state.team.entries()]
    .filter(([, member]) => member.fields.active !== false)
    .sort(([aId, a], [bId, b]) => (a.fields.order ?? 1e9) - (b.fields.order ?? 1e9) || String(a.fields.name ?? aId).localeCompare(String(b.fields.name ?? bId)));

  const cards = new Map([...grid.children].map(card => [card.dataset.id, card]));
  let previous = null;
  for (const [id, member] of members) {
    let card = cards.get(id);
    cards.delete(id);
    if (!card) {
      card = $('#member-card').content.firstElementChild.cloneNode(true);
      card.dataset.id = id;
      card.dataset.testid = `team-${id}`;
      card.querySelector('.name').dataset.testid = `team-${id}-name`;
      card.querySelector('.role').dataset.testid = `team-${id}-role`;
    }
    card.dataset.version = String(member.version);
    setText(card.querySelector('.name'), String(member.fields.name ?? id));
    setText(card.querySelector('.role'), String(member.fields.role ?? ''));
    setText(card.querySelector('.avatar'), initials(member.fields.name ?? id));
    const wanted = previous ? previous.nextElementSibling : grid.firstElementChild;
    if (wanted !== card) {
      grid.insertBefore(card, wanted);
    }
    if (flashing.has(id)) {
      card.classList.add('updated');
      setTimeout(() => card.classList.remove('updated'), 1200);
    }
    previous = card;
  }
  for (const stale of cards.values()) {
    stale.remove();
  }
  flashing.clear();
  $('[data-testid="team-empty"]').hidden = members.length > 0;
}

function render() {
  renderSettings();
  renderTeam();
}

const stateLabels = { connecting: 'connecting…', connected: 'live', reconnecting: 'reconnecting…', disconnected: 'offline' };

function renderConnection(connection) {
  const badge = $('[data-testid="connection-state"]');
  badge.dataset.state = connection;
  setText(badge, stateLabels[connection] ?? connection);
}

function showProblem(error) {
  const problem = $('[data-testid="load-error"]');
  problem.hidden = false;
  setText(problem, `Could not load the site: ${error?.message ?? error}`);
}

// --- wiring ------------------------------------------------------------------------------------------------

async function main() {
  const client = createRealtimeClient({ accessTokenFactory: getToken });
  client.onStateChange(renderConnection);

  // Pushes are applied one at a time, in order (a push only carries the fields it changed). Those that
  // arrive before the first load are held back until it is done, then applied by version.
  // A (re)load holds pushes back the same way, so none is patched onto a state the load is replacing.
  let loading = 1;
  const held = [];
  let queue = Promise.resolve();
  const enqueue = publication => {
    queue = queue.then(() => applyPublication(publication)).catch(e => console.warn('demo: applying a change failed', e));
  };
  const onPublication = publication => {
    if (loading > 0) {
      held.push(publication);
    } else {
      enqueue(publication);
    }
  };
  const load = async (what = loadAll) => {
    loading++;
    try {
      await queue;
      await what();
      render();
    } finally {
      if (--loading === 0) {
        held.splice(0).forEach(enqueue);
      }
    }
    await queue;
  };
  // Resync: the hub's history no longer covers what this page missed (or the hub restarted): reload that type.
  const resyncSettings = () => load(loadSettings).catch(showProblem);
  const resyncTeam = () => load(loadTeam).catch(showProblem);

  void client.start();
  const subscribed = Promise.all([
    client.subscribe(settingsChannel, onPublication, { onResync: resyncSettings }),
    client.subscribe(teamChannel, onPublication, { onResync: resyncTeam }),
  ]);

  // Load after the subscriptions are in place, so no change falls between the load and the first push.
  // If the hub is slow to answer, show the content anyway and load again once subscribed.
  const timedOut = await Promise.race([
    subscribed.then(() => false, () => false),
    new Promise(resolve => setTimeout(() => resolve(true), 4000)),
  ]);
  loading--; // the first load below holds pushes itself
  try {
    await load();
  } catch (e) {
    showProblem(e);
  }
  document.body.dataset.ready = 'true';

  try {
    await subscribed;
    if (timedOut) {
      await load();
    }
  } catch (e) {
    showProblem(e);
  }
}

main().catch(showProblem);
