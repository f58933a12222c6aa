// The restart button (no inline handlers: the Content-Security-Policy allows scripts from this server only).
document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("restart").addEventListener("click", () => window.location.reload());
});
