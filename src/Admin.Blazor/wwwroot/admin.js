// Small browser helpers of the backoffice, called through JS interop.
window.rsAdmin = {
  // Ctrl+S / Cmd+S saves the open editor instead of saving the web page. Returns a handle whose dispose() removes it.
  onSaveKey(dotnet) {
    const listener = (e) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && (e.key === 's' || e.key === 'S')) {
        e.preventDefault();
        dotnet.invokeMethodAsync('SaveFromKeyboard');
      }
    };
    document.addEventListener('keydown', listener);
    return { dispose: () => document.removeEventListener('keydown', listener) };
  },
};
