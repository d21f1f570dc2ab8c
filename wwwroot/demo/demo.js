// Demo site on the live stores of realtime-sync.js: the example a site copies. The stores load the state through
// the API, apply the pushes by version and reload after a resync; this file only renders what they hold.
// <rs-sync-status> in the top bar shows live / reconnecting / offline / error and, on demand, each channel.
import { liveCollection, liveEntity } from '/realtime-sync.js';

// A real site asks its own backend, which trades its site key for a token (README "Frontend sites").
// The demo's backend is the hub itself: /demo/token, on while Demo:Enabled is true.
const tokenFactory = async () => {
  const response = await fetch('/demo/token', { cache: 'no-store' });
  if (!response.ok) {
    throw new Error(`GET /demo/token: ${response.status}`);
  }
  return response.json(); // { token, expiresAt? }: renewed by the stores shortly before it expires
};

const settings = liveEntity({ tenant: 'demo', type: 'settings', id: 'default', tokenFactory });
const team = liveCollection({ tenant: 'demo', type: 'team', tokenFactory });

const $ = selector => document.querySelector(selector);

// --- rendering (textContent only: field values are data, never markup) ------------------------------------------

function setText(element, text) {
  if (element.textContent !== text) {
    element.textContent = text;
  }
}

const colorPattern = /^#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;

function renderSettings(entity) {
  const fields = entity?.fields ?? {};
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
  $('[data-testid="hero"]').dataset.version = String(entity?.version ?? '');
}

function initials(name) {
  return String(name ?? '').split(/\s+/).filter(Boolean).slice(0, 2).map(part => part[0].toUpperCase()).join('');
}

/** Cards keyed by id; a card is touched only when its entity object changed (the stores replace changed ones). */
const shown = new Map();

function renderTeam(members) {
  const grid = $('[data-testid="team-grid"]');
  const visible = members
    .filter(member => member.fields.active !== false)
    .sort((a, b) => (a.fields.order ?? 1e9) - (b.fields.order ?? 1e9) || String(a.fields.name ?? a.id).localeCompare(String(b.fields.name ?? b.id)));

  const stale = new Set(shown.keys());
  let previous = null;
  for (const member of visible) {
    stale.delete(member.id);
    let entry = shown.get(member.id);
    if (!entry) {
      const card = $('#member-card').content.firstElementChild.cloneNode(true);
      card.dataset.id = member.id;
      card.dataset.testid = `team-${member.id}`;
      card.querySelector('.name').dataset.testid = `team-${member.id}-name`;
      card.querySelector('.role').dataset.testid = `team-${member.id}-role`;
      entry = { card, entity: null };
      shown.set(member.id, entry);
    }
    const { card } = entry;
    if (entry.entity !== member) {
      const isUpdate = entry.entity !== null;
      entry.entity = member;
      card.dataset.version = String(member.version);
      setText(card.querySelector('.name'), String(member.fields.name ?? member.id));
      setText(card.querySelector('.role'), String(member.fields.role ?? ''));
      setText(card.querySelector('.avatar'), initials(member.fields.name ?? member.id));
      if (isUpdate || document.body.dataset.ready === 'true') {
        card.classList.add('updated');
        setTimeout(() => card.classList.remove('updated'), 1200);
      }
    }
    const wanted = previous ? previous.nextElementSibling : grid.firstElementChild;
    if (wanted !== card) {
      grid.insertBefore(card, wanted);
    }
    previous = card;
  }
  for (const id of stale) {
    shown.get(id).card.remove();
    shown.delete(id);
  }
  $('[data-testid="team-empty"]').hidden = visible.length > 0;
}

function renderProblem() {
  const problem = $('[data-testid="load-error"]');
  const error = settings.error ?? team.error;
  problem.hidden = !error;
  setText(problem, error ? `Could not load the site: ${error.message ?? error}` : '');
}

let frame = 0;
function render() {
  frame ||= requestAnimationFrame(() => {
    frame = 0;
    renderSettings(settings.getSnapshot());
    renderTeam(team.getSnapshot());
    renderProblem();
    const last = team.lastSyncAt ?? settings.lastSyncAt;
    setText($('[data-testid="last-update"]'), last ? `In sync at ${last.toLocaleTimeString()}` : '');
    if (settings.status === 'live' && team.status === 'live') {
      document.body.dataset.ready = 'true'; // for the tests: both stores loaded and subscribed
    }
  });
}

settings.subscribe(render);
team.subscribe(render);
render();
