/**
 * <rs-save-indicator>: live save status of one ONLYOFFICE document for end users (docs/architecture.md, "Document saves").
 * An ES module built on realtime-sync.js: it subscribes to `{tenant}/documents/{document}` and renders every
 * `document.save-status` push: editing → saving → saved to storage (vN, time) / failed / retrying.
 *
 *   <script src="/lib/signalr/signalr.min.js"></script>
 *   <script type="module">
 *     import '/rs-save-indicator.js';
 *     const indicator = document.querySelector('rs-save-indicator');
 *     indicator.tokenFactory = () => fetchMyToken();       // a tenant user's token (viewer is enough)
 *   </script>
 *   <rs-save-indicator tenant="demo" document="4f2c…"></rs-save-indicator>
 *
 * Attributes: tenant, document (required), hub-url (default /hubs/sync), api-base (default '' = same origin).
 * Properties: tokenFactory (() => token | Promise<token>), client (share an existing realtime-sync client),
 *   status (the last payload), history (every state received, in order).
 * Reflects `state` (idle|editing|saving|saved|failed|retrying|forcesave-requested|closed|offline) and
 * `version` as attributes for styling; fires `rs-save-status` (detail = payload) on every change.
 * Before the first push it shows the committed version read from the documents API.
 */
import { createRealtimeClient } from './realtime-sync.js';

const labels = {
  idle: s => (s.version ? `Saved to storage · v${s.version}` : 'Not opened yet'),
  editing: () => 'Editing…',
  saving: () => 'Saving…',
  saved: s => `Saved to storage · v${s.version} · ${time(s.at)}`,
  failed: s => `Save failed${s.error ? `: ${s.error}` : ''} — the previous version is kept`,
  retrying: s => `Storage unavailable — retrying${s.attempt ? ` (attempt ${s.attempt})` : ''}… your edit is safe`,
  'forcesave-requested': () => 'Saving latest edits…',
  closed: s => (s.version ? `Closed · v${s.version} in storage` : 'Closed'),
  offline: () => 'Offline — reconnecting…',
};

const colours = {
  idle: '#5f6275', editing: '#4340d2', saving: '#b26b00', saved: '#137a3a', failed: '#b3261e',
  retrying: '#b26b00', 'forcesave-requested': '#b26b00', closed: '#5f6275', offline: '#b3261e',
};

function time(at) {
  const date = at ? new Date(at) : null;
  return date && !Number.isNaN(date.valueOf()) ? date.toLocaleTimeString() : '';
}

export class RsSaveIndicator extends HTMLElement {
  static observedAttributes = ['tenant', 'document', 'hub-url', 'api-base'];

  constructor() {
    super();
    this.tokenFactory = null;
    this.client = null;
    this.status = null;
    this.history = [];
    this._ownClient = null;
    this._subscription = null;
    this._generation = 0;
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = `
      <style>
        :host { display: inline-flex; align-items: center; gap: .45em; font: inherit; font-size: .9em; }
        .dot { width: .6em; height: .6em; border-radius: 50%; background: var(--rs-colour, #5f6275); flex: none; }
        :host([state=saving]) .dot, :host([state=retrying]) .dot, :host([state=forcesave-requested]) .dot { animation: pulse 1s infinite; }
        @keyframes pulse { 50% { opacity: .3; } }
      </style>
      <span class="dot" part="dot"></span><span class="text" part="text" role="status" aria-live="polite">…</span>`;
    this._text = root.querySelector('.text');
  }

  connectedCallback() {
    void this._start();
  }

  disconnectedCallback() {
    void this._stop();
  }

  attributeChangedCallback(_name, previous, next) {
    if (previous !== next && this.isConnected) {
      void this._stop().then(() => this._start());
    }
  }

  async _token() {
    return this.tokenFactory ? await this.tokenFactory() : undefined;
  }

  async _start() {
    const tenant = this.getAttribute('tenant');
    const documentId = this.getAttribute('document');
    if (!tenant || !documentId) {
      return;
    }
    const generation = ++this._generation;
    const channel = `${tenant}/documents/${documentId}`;
    try {
      const client = this.client ?? (this._ownClient = createRealtimeClient({
        url: this.getAttribute('hub-url') ?? '/hubs/sync',
        accessTokenFactory: () => this._token(),
      }));
      client.onStateChange(state => {
        if (state === 'reconnecting' && generation === this._generation) {
          this._render({ state: 'offline' }, false);
        } else if (state === 'connected' && this.getAttribute('state') === 'offline') {
          this._render(this.status ?? { state: 'idle' }, false);
        }
      });
      if (this._ownClient) {
        await client.start();
      }
      const subscription = await client.subscribe(channel, publication => {
        if (publication.type === 'document.save-status') {
          this._render(publication.data, true);
        }
      }, { onResync: () => this._loadCommitted(tenant, documentId, generation) });
      if (generation !== this._generation) {
        await subscription.unsubscribe();
        return;
      }
      this._subscription = subscription;
      this.setAttribute('subscribed', '');
      if (!this.status) {
        await this._loadCommitted(tenant, documentId, generation);
      }
    } catch (error) {
      this._render({ state: 'failed', error: error?.message ?? String(error) }, false);
    }
  }

  /** The committed version from the API, shown until the first push. */
  async _loadCommitted(tenant, documentId, generation) {
    const token = await this._token();
    const base = this.getAttribute('api-base') ?? '';
    const response = await fetch(`${base}/api/tenants/${encodeURIComponent(tenant)}/documents/${encodeURIComponent(documentId)}`, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      cache: 'no-store',
    });
    if (!response.ok || generation !== this._generation || this.status) {
      return;
    }
    const document = await response.json();
    this._render({ documentId, state: document.session === 'editing' ? 'editing' : 'idle', version: document.version }, false);
  }

  async _stop() {
    this._generation++;
    const subscription = this._subscription;
    const client = this._ownClient;
    this._subscription = null;
    this._ownClient = null;
    this.removeAttribute('subscribed');
    try {
      await subscription?.unsubscribe();
      await client?.stop();
    } catch {
      // already disconnected
    }
  }

  _render(status, isPush) {
    const state = labels[status.state] ? status.state : 'idle';
    if (isPush) {
      this.status = status;
      this.history.push(status.state);
    }
    this.setAttribute('state', state);
    if (status.version != null) {
      this.setAttribute('version', String(status.version));
    }
    this.style.setProperty('--rs-colour', colours[state]);
    this._text.textContent = labels[state](status);
    this.dispatchEvent(new CustomEvent('rs-save-status', { detail: status, bubbles: true, composed: true }));
  }
}

if (!customElements.get('rs-save-indicator')) {
  customElements.define('rs-save-indicator', RsSaveIndicator);
}
