// Opens the ONLYOFFICE editor: loads Document Server's api.js once, then DocsAPI.DocEditor with the hub's config.
const loaded = new Map();

function loadScript(src) {
  if (!loaded.has(src)) {
    loaded.set(src, new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = src;
      script.onload = () => resolve();
      script.onerror = () => { loaded.delete(src); reject(new Error(`Document Server script ${src} could not be loaded`)); };
      document.head.append(script);
    }));
  }
  return loaded.get(src);
}

export async function open(elementId, scriptUrl, configJson) {
  await loadScript(scriptUrl);
  if (!window.DocsAPI || typeof window.DocsAPI.DocEditor !== 'function') {
    throw new Error('Document Server did not provide DocsAPI.DocEditor');
  }
  const editor = new window.DocsAPI.DocEditor(elementId, JSON.parse(configJson));
  window.rsDocumentEditors = window.rsDocumentEditors || {};
  window.rsDocumentEditors[elementId] = editor;
}

export function close(elementId) {
  const editor = window.rsDocumentEditors?.[elementId];
  if (editor && typeof editor.destroyEditor === 'function') {
    editor.destroyEditor();
  }
  delete window.rsDocumentEditors?.[elementId];
}
