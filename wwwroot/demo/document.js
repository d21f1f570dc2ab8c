// Document demo: one document with <rs-save-indicator> (demo tenant). Documents are not public: the anonymous
// /demo/token only subscribes to public entities, so this page needs an API token of the demo tenant in
// sessionStorage 'rs.token' (e.g. printed by `dotnet run --project src/Hub -- token --tenant demo --role viewer`).
import '/rs-save-indicator.js';

const tenant = 'demo';
const $ = selector => document.querySelector(selector);
let token = sessionStorage.getItem('rs.token');

async function getToken() {
  if (!token) {
    const response = await fetch('/demo/token', { cache: 'no-store' });
    if (!response.ok) {
      throw new Error(`GET /demo/token: ${response.status}`);
    }
    token = (await response.json()).token;
    setTimeout(() => { token = null; }, 20 * 60_000); // the demo token lives 30 minutes
  }
  return token;
}

async function api(path) {
  const response = await fetch(`/api/tenants/${tenant}/documents${path}`, { headers: { Authorization: `Bearer ${await getToken()}` }, cache: 'no-store' });
  if (!response.ok) {
    throw new Error(`GET documents${path}: ${response.status}`);
  }
  return response;
}

async function showDocument(id) {
  const doc = await (await api(`/${encodeURIComponent(id)}`)).json();
  $('[data-testid=filename]').textContent = doc.filename;
  const indicator = $('rs-save-indicator');
  indicator.tokenFactory = getToken;
  indicator.setAttribute('document', doc.id);
  $('[data-testid=download]').addEventListener('click', async event => {
    event.preventDefault();
    const response = await api(`/${encodeURIComponent(id)}/content`);
    const link = document.createElement('a');
    link.href = URL.createObjectURL(await response.blob());
    link.download = doc.filename;
    link.click();
    URL.revokeObjectURL(link.href);
  });
  $('[data-testid=document]').hidden = false;
}

async function showList() {
  const documents = await (await api('')).json();
  const list = $('[data-testid=documents]');
  for (const doc of documents) {
    const item = document.createElement('li');
    const link = document.createElement('a');
    link.href = `/demo/document.html?id=${encodeURIComponent(doc.id)}`;
    link.textContent = `${doc.filename} (v${doc.version})`;
    item.append(link);
    list.append(item);
  }
  $('[data-testid=documents-empty]').hidden = documents.length > 0;
  $('[data-testid=document-list]').hidden = false;
}

try {
  const id = new URLSearchParams(location.search).get('id');
  await (id ? showDocument(id) : showList());
} catch (error) {
  $('[data-testid=load-error]').textContent = error.message;
  $('[data-testid=load-error]').hidden = false;
} finally {
  document.body.dataset.ready = 'true';
}
